# Golden files of the report (tests/golden/README): make check compares
# them through the unit test test-golden; make golden-update rewrites the
# expected outputs from what the renderers print now.  Review the diff.
.PHONY: golden-update
golden-update: $(BUILD)/tests/unit/test-golden
	$(BUILD)/tests/unit/test-golden --update | grep -v '^ok'; true
	git status --short -- tests/golden
