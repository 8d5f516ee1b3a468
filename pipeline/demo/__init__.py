"""The main job on the local stack: a realistic month of seizures traced end to end, summarised."""
