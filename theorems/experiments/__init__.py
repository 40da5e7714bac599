"""What the paper saw in training (App. E), reproduced on the full deep UFM with torch_check."""
