"""The `suara` command line for operators and auditors."""
