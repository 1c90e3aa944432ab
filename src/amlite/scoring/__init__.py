"""Serving online deployments on this machine: the scoring host each deployment runs as
(``host``) and the server's side that starts, watches and stops those processes (``runtime``)."""
