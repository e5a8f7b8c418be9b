"""Developer commands run through the Makefile (`python -m scripts.<name>`)."""
