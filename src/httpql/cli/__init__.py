"""The command line: ``httpql exec``, ``httpql shell``, ``httpql emulator``."""
