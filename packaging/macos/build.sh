#!/usr/bin/env bash
# Builds dist/VICIfast Phone.app and a .dmg of it on an Apple-silicon Mac (macOS 14+):
#   packaging/macos/build.sh
# Needs uv (https://docs.astral.sh/uv/) and Xcode's command line tools (hdiutil, codesign).
# With VICIFAST_CODESIGN_IDENTITY set, the app and the .dmg are signed with it (SIGNING.md:
# then notarize the .dmg); without it the app is signed ad hoc and runs on this Mac only.
set -euo pipefail
cd "$(dirname "$0")/../.."

uv sync --group bundle --locked
uv run --no-sync pyinstaller --noconfirm --clean \
  --distpath dist --workpath build/pyinstaller-macos \
  packaging/macos/vicifast-phone.spec

app="dist/VICIfast Phone.app"
version="$(plutil -extract CFBundleShortVersionString raw "$app/Contents/Info.plist")"
dmg="dist/vicifast-phone-$version-macos-$(uname -m).dmg"
plutil -lint "$app/Contents/Info.plist" >/dev/null
codesign --verify --deep --strict "$app"

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
ditto "$app" "$stage/VICIfast Phone.app"  # keeps the signatures, symlinks and attributes
ln -s /Applications "$stage/Applications"  # drag the app onto it to install
rm -f "$dmg"
# hdiutil sometimes finds the new volume busy on a loaded machine: try again before giving up.
for attempt in 1 2 3; do
  if hdiutil create -volname "VICIfast Desktop" -srcfolder "$stage" -fs HFS+ -format UDZO \
    -ov "$dmg"; then
    break
  fi
  [[ $attempt -lt 3 ]] || exit 1
  sleep 5
done
if [[ -n "${VICIFAST_CODESIGN_IDENTITY:-}" ]]; then
  codesign --sign "$VICIFAST_CODESIGN_IDENTITY" --timestamp "$dmg"
fi
echo "$dmg"
