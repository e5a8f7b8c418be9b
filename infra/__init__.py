"""Infrastructure as code: the production resources (template.json) and their application to the local emulator."""
