#!/usr/bin/env python
from answerable.__main__ import main

if __name__ == "__main__":
    main()
