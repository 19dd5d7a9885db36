from django.apps import AppConfig


class WorkerConfig(AppConfig):
    name = "answerable.worker"
    label = "worker"
