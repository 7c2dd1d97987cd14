"""sharelinks: stable short links to S3 objects, presigned afresh on every click."""
