#!/bin/bash
# The code keeps its layers (tools/layers): no folder includes or calls a
# folder above it or beside it, and no files call each other in a circle.
# tools/check-layers does the work on the objects make built.
. "$(dirname "$0")/lib.sh"
"$TOP/tools/check-layers" "$TOP/$BUILD"
