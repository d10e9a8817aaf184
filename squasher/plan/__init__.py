"""Planning a rewrite: which instructions fold into build.sh, which stay, and the state each step sees."""
