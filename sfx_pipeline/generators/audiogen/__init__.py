"""The AudioGen backend (Meta's audiocraft). Every module here imports torch and audiocraft
lazily or not at all, except `runtime`, which is only imported to generate."""
