"""Background work at scale: the Celery side of the job seam (`backend`, `celery_app`) and leases that let
any number of periodic runners share the periodic jobs (`leases`)."""
