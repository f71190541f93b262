# The two commands of the README. Each installs what it needs first.
.PHONY: demo test
demo:
	scripts/demo.sh
test:
	scripts/test.sh
