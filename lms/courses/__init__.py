"""The curriculum catalogue, programmes, eligibility rules and learning pathways."""
