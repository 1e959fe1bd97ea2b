# Supply-chain and secret checks, included by the top-level Makefile.

# pip-audit runs from PyPI through uv, pinned here, so it adds nothing to uv.lock.
PIP_AUDIT_VERSION ?= 2.10.1
AUDIT_REQUIREMENTS := .local/audit-requirements.txt
# Lock files, recorded API responses and checksums are not scanned for secrets.
SECRETS_EXCLUDE := (^uv\.lock$$|^ops/sme_pulse/replay/|^\.secrets\.baseline$$)

.PHONY: audit secrets-baseline

## audit: pip-audit every package of uv.lock against PyPI's vulnerability data (needs network)
audit: $(UV)
	@mkdir -p $(dir $(AUDIT_REQUIREMENTS))
	$(UV) export --frozen --all-groups --no-emit-project --format requirements-txt \
		--output-file $(AUDIT_REQUIREMENTS) --quiet
	$(UV) tool run --from pip-audit==$(PIP_AUDIT_VERSION) pip-audit \
		--requirement $(AUDIT_REQUIREMENTS) --no-deps --disable-pip --strict \
		--progress-spinner off

## secrets-baseline: re-scan for secret-looking strings; review the diff before committing
secrets-baseline: venv
	$(VENV)/bin/detect-secrets scan --exclude-files '$(SECRETS_EXCLUDE)' \
		$$(git ls-files --cached --others --exclude-standard) > .secrets.baseline
