"""Agency-side publishing: the producer SDK, file publishing and the synthetic scenario generator."""
