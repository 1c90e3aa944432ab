"""The local job runner: command jobs' processes and their Python environments on this machine
(the adapter behind ``ports.JobExecutor``)."""
