# The learner's terminal in JupyterLab (see tradeoffs/learner/lab.py).
if [ -f "$HOME/.bashrc" ]; then . "$HOME/.bashrc"; fi
if [ -n "$TRADEOFFS_BIN" ]; then export PATH="$TRADEOFFS_BIN:$PATH"; fi
if [ -n "$TRADEOFFS_WORKSPACE" ]; then
  case "$PWD/" in
    "$TRADEOFFS_WORKSPACE"/*) ;;
    *) cd "$TRADEOFFS_WORKSPACE" || true ;;
  esac
fi
echo "Your workspace: $PWD. Try: tradeoffs next | tradeoffs list | tradeoffs check exercises/01_metrics"
