# Sourced by .ci/run: axe-core, the accessibility engine the browser tests
# run on every page (TestBrowserAccessibility), from the npm registry, kept
# in a cache folder between runs. Exports SILLAGE_TEST_AXE.
axe_version=4.14.1
axe_dir="${XDG_CACHE_HOME:-$HOME/.cache}/sillage/axe-core-$axe_version"
if [ ! -s "$axe_dir/axe.min.js" ]; then
  command -v npm >/dev/null 2>&1 || need_pkg npm npm
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "axe-core@$axe_version" >/dev/null && tar xzf "axe-core-$axe_version.tgz")
  mkdir -p "$axe_dir"
  cp "$tmp/package/axe.min.js" "$tmp/package/LICENSE" "$axe_dir/"
  rm -rf "$tmp"
fi
export SILLAGE_TEST_AXE="$axe_dir/axe.min.js" SILLAGE_REQUIRE_AXE=1
