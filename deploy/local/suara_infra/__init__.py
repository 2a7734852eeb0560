"""Suara's local runner: Kafka, PostgreSQL and FerretDB (`suara-infra`) and the services (`suara-stack`) as
background processes on this machine, with one pid-file scheme and health probes through the real clients.

Run through deploy/local/bin/suara-infra and deploy/local/bin/suara-stack (python -m suara_infra infra|stack ...).
"""
