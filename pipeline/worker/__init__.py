"""Worker machinery: builds the faust app from the topology, runs, supervises and watches worker processes."""
