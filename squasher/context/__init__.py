"""The build context as the builders see it: ``.dockerignore``, Go's path rules, the archives ADD
unpacks, and the context entries a COPY/ADD source names (symlinks resolved, wildcards expanded)."""
