"""Stream processors (faust-streaming agents), one module per stage."""
