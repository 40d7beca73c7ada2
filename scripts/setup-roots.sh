#!/usr/bin/env bash
# Builds the Debian root file systems that leakspy's integration tests chroot into:
#   bullseye  Debian 11 (glibc 2.31, python3.9), older than the host
#   sid       Debian unstable (glibc newer than the host's, python3.14, python3-torch 2.x if it installs)
# Roots live in ${LEAKSPY_ROOTS_DIR:-/var/cache/leakspy/roots}/NAME.
#
# Usage: scripts/setup-roots.sh [bullseye] [sid]      (no names: both)
#
# Idempotent: a root whose stamp file (NAME/.leakspy-root-complete, written last) exists is
# skipped; a root without one is half-built, so it is removed and rebuilt.
# When a root cannot be built (no registry, debootstrap fails, not root, ...) the script prints
#   setup-roots: skipped NAME: REASON
# and goes on; it still exits 0, so the tests that need that root can skip with the reason.
#
# Environment:
#   LEAKSPY_ROOTS_DIR      where the roots go (default /var/cache/leakspy/roots)
#   LEAKSPY_DEBIAN_MIRROR  Debian mirror to use (default: the one in this machine's apt sources)
set -euo pipefail

ROOTS_DIR="${LEAKSPY_ROOTS_DIR:-/var/cache/leakspy/roots}"
STAMP_NAME=".leakspy-root-complete"
ALL_NAMES=(bullseye sid)

log() { echo "setup-roots: $*"; }
skip() { log "skipped $1: $2"; }

names=()
if [ $# -eq 0 ]; then
  names=("${ALL_NAMES[@]}")
else
  for n in "$@"; do
    case "$n" in
      bullseye|sid) names+=("$n") ;;
      -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
      *) echo "setup-roots: unknown root '$n' (known: ${ALL_NAMES[*]})" >&2; exit 2 ;;
    esac
  done
fi

skip_all() {
  local n
  for n in "${names[@]}"; do skip "$n" "$1"; done
  exit 0
}

# debootstrap and chroot need root.
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    exec sudo -n env LEAKSPY_ROOTS_DIR="$ROOTS_DIR" \
      ${LEAKSPY_DEBIAN_MIRROR:+LEAKSPY_DEBIAN_MIRROR="$LEAKSPY_DEBIAN_MIRROR"} \
      bash "$0" "${names[@]}"
  fi
  skip_all "needs root (debootstrap and chroot), and sudo -n is not available"
fi

export DEBIAN_FRONTEND=noninteractive
export LC_ALL=C.UTF-8 LANG=C.UTF-8

# ---------------------------------------------------------------- debootstrap
if ! command -v debootstrap >/dev/null 2>&1; then
  log "installing debootstrap"
  if ! { apt-get install -y -q --no-install-recommends debootstrap >/dev/null 2>&1 ||
         { apt-get update -q >/dev/null 2>&1 &&
           apt-get install -y -q --no-install-recommends debootstrap >/dev/null 2>&1; }; }; then
    skip_all "debootstrap is not installed and apt-get could not install it (package registry unreachable?)"
  fi
fi

# ---------------------------------------------------------------- mirror
# Prints "URI SUITE" for each enabled deb entry in apt's sources (one-line and deb822 formats).
list_sources() {
  local etc="/etc/apt" list parts f
  list="$(apt-config dump 2>/dev/null | sed -n 's/^Dir::Etc::sourcelist "\(.*\)";$/\1/p' | head -n1)"
  parts="$(apt-config dump 2>/dev/null | sed -n 's/^Dir::Etc::sourceparts "\(.*\)";$/\1/p' | head -n1)"
  case "$list" in "") list="$etc/sources.list" ;; /*) ;; *) list="$etc/$list" ;; esac
  case "$parts" in "") parts="$etc/sources.list.d" ;; /*) ;; *) parts="$etc/$parts" ;; esac
  for f in "$list" "$parts"/*.list; do
    [ -f "$f" ] || continue
    # deb [options] URI SUITE COMPONENTS...
    sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | awk '$1 == "deb" && NF >= 3 { print $2, $3 }'
  done
  for f in "$parts"/*.sources; do
    [ -f "$f" ] || continue
    awk '
      function flush(  i, j, nu, ns, u, s) {
        if (types ~ /(^| )deb( |$)/ && enabled !~ /^(no|false|0)$/) {
          nu = split(uris, u, " "); ns = split(suites, s, " ")
          for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++) print u[i], s[j]
        }
        types = uris = suites = enabled = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      {
        line = $0; sub(/#.*/, "", line)
        if (match(line, /^[A-Za-z-]+:/)) {
          key = tolower(substr(line, 1, RLENGTH - 1)); val = substr(line, RLENGTH + 1)
          gsub(/^[ \t]+|[ \t]+$/, "", val)
          if (key == "types") types = val
          else if (key == "uris") uris = val
          else if (key == "suites") suites = val
          else if (key == "enabled") enabled = tolower(val)
        }
      }
      END { flush() }' "$f"
  done
}

# The main Debian archive: an entry for a release suite (not -security/-updates/-backports).
detect_mirror() {
  local uri suite
  while read -r uri suite; do
    case "$uri" in http://*|https://*|file:/*|ftp://*) ;; *) continue ;; esac
    case "$uri" in *security*) continue ;; esac
    case "$suite" in
      */*|*-security|*-updates|*-backports) continue ;;
      oldoldstable|oldstable|stable|testing|unstable|sid|experimental|\
      buster|bullseye|bookworm|trixie|forky|duke) echo "${uri%/}"; return 0 ;;
    esac
  done < <(list_sources)
  # Fall back to what apt itself resolved (needs an earlier apt-get update).
  # shellcheck disable=SC2016  # apt's own $(FIELD) syntax
  apt-get indextargets --format '$(SITE) $(ORIGIN) $(RELEASE)' 'Created-By: Packages' 2>/dev/null |
    awk '$2 == "Debian" && $3 !~ /[-\/]/ { print $1; exit }'
}

MIRROR="${LEAKSPY_DEBIAN_MIRROR:-$(detect_mirror || true)}"
MIRROR="${MIRROR%/}"
if [ -n "$MIRROR" ]; then
  log "mirror $MIRROR"
else
  log "no Debian mirror found in apt's sources; using debootstrap's default"
fi

# Can the registry be reached for SUITE?  Prints a reason and fails when it cannot.
reachable() {
  local suite="$1" url
  [ -n "$MIRROR" ] || return 0
  case "$MIRROR" in file:/*) [ -r "${MIRROR#file:}/dists/$suite/Release" ] && return 0
                             echo "no $MIRROR/dists/$suite/Release"; return 1 ;; esac
  url="$MIRROR/dists/$suite/Release"
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --max-time 30 -o /dev/null "$url" 2>/dev/null && return 0
  elif command -v wget >/dev/null 2>&1; then
    wget -q -T 30 -t 2 -O /dev/null "$url" 2>/dev/null && return 0
  else
    return 0  # nothing to check with; debootstrap will tell
  fi
  echo "package registry unreachable ($url)"
  return 1
}

# ---------------------------------------------------------------- helpers
mkdir -p "$ROOTS_DIR"
# One run at a time (tests may call this script concurrently).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$ROOTS_DIR/.lock"
  flock 9
fi

MOUNTED=()
umount_all() {
  local i
  for ((i = ${#MOUNTED[@]} - 1; i >= 0; i--)); do
    umount -l "${MOUNTED[i]}" 2>/dev/null || true
  done
  MOUNTED=()
}
trap umount_all EXIT
trap 'umount_all; exit 130' INT TERM

# Unmount whatever is still mounted below DIR (left by an interrupted run).
umount_below() {
  local dir mp
  dir="$(readlink -f "$1")"
  awk '{ print $2 }' /proc/mounts | sed 's/\\040/ /g' | sort -r | while read -r mp; do
    case "$mp" in "$dir"/*) umount -l "$mp" 2>/dev/null || true ;; esac
  done
}

remove_root() {
  local dir="$1"
  [ -e "$dir" ] || return 0
  umount_below "$dir"
  rm -rf --one-file-system "$dir"
}

# Last meaningful line of a log, for a one-line reason.
reason_from() {
  local r
  r="$(grep -E '^(E:|W: Failure|W: Couldn|debootstrap: )' "$1" 2>/dev/null | tail -n1 || true)"
  [ -n "$r" ] || r="$(grep -v '^[[:space:]]*$' "$1" 2>/dev/null | tail -n1 || true)"
  echo "${r:-unknown error}" | tr -s '[:space:]' ' ' | sed 's/ *$//' | cut -c1-300
}

glibc_version() {
  local dir="$1" v f
  v="$(chroot "$dir" ldd --version 2>/dev/null | head -n1 | awk '{ print $NF }' || true)"
  if [ -z "$v" ]; then
    for f in "$dir"/lib/*-linux-gnu*/libc.so.6 "$dir"/usr/lib/*-linux-gnu*/libc.so.6; do
      [ -e "$f" ] || continue
      v="$(chroot "$dir" "${f#"$dir"}" 2>/dev/null | head -n1 | sed -n 's/.*version \([0-9.]*\).*/\1/p')"
      [ -n "$v" ] && break
    done
  fi
  echo "${v:-unknown}"
}

python_version() {
  chroot "$1" "$2" -c 'import sys; print(sys.version.split()[0])' 2>/dev/null || echo "none"
}

# The last line only: without /proc in the root, UCX (loaded by torch) prints an error line to stdout.
torch_version() {
  local v
  v="$(chroot "$1" "$2" -c 'import torch; print("torch-version", torch.__version__)' 2>/dev/null |
       awk '$1 == "torch-version" { v = $2 } END { print v }' || true)"
  echo "${v:-none}"
}

report() {
  local name="$1" dir="$2" py="$3" torch="${4:-}"
  log "$name: root $dir"
  log "$name: glibc $(glibc_version "$dir"), python $(python_version "$dir" "$py") ($py)"
  if [ -n "$torch" ]; then log "$name: torch $(torch_version "$dir" "$py")"; fi
  log "$name: disk $(du -sh --one-file-system "$dir" 2>/dev/null | cut -f1)"
}

# apt-get inside a root.  Sid's Release files can be past Valid-Until on snapshot mirrors.
chroot_apt() {
  local dir="$1"; shift
  chroot "$dir" env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 \
    apt-get -q -o Acquire::Check-Valid-Until=false "$@"
}

# ---------------------------------------------------------------- roots
# build_root NAME SUITE PYTHON INCLUDE
build_root() {
  local name="$1" suite="$2" py="$3" include="$4"
  local dir="$ROOTS_DIR/$name" logf="$ROOTS_DIR/$name.log" why start
  if [ -f "$dir/$STAMP_NAME" ]; then
    log "$name: complete, skipping (remove $dir/$STAMP_NAME to rebuild)"
    report "$name" "$dir" "$py" "$([ "$name" = sid ] && echo yes)"
    return 0
  fi
  if [ -e "$dir" ]; then
    log "$name: removing half-built root $dir"
    remove_root "$dir"
  fi
  if ! why="$(reachable "$suite")"; then skip "$name" "$why"; return 0; fi

  case "$MIRROR" in https://*) include="$include,ca-certificates" ;; esac
  start=$SECONDS
  log "$name: debootstrap --variant=minbase --include=$include $suite $dir ${MIRROR:-} (log $logf)"
  if ! debootstrap --variant=minbase --include="$include" "$suite" "$dir" ${MIRROR:+"$MIRROR"} \
       >"$logf" 2>&1; then
    skip "$name" "debootstrap failed: $(reason_from "$logf")"
    remove_root "$dir"
    return 0
  fi
  log "$name: debootstrap done in $((SECONDS - start))s"
  if ! chroot "$dir" "$py" -c 'print(1)' >/dev/null 2>&1; then
    skip "$name" "$py does not run in the new root"
    remove_root "$dir"
    return 0
  fi

  TORCH_NOTE=""
  if [ "$name" = sid ]; then
    install_torch "$dir" "$logf"
  fi

  chroot "$dir" apt-get clean >/dev/null 2>&1 || true
  rm -rf "$dir"/var/lib/apt/lists/* 2>/dev/null || true
  {
    echo "name=$name"
    echo "suite=$suite"
    echo "mirror=${MIRROR:-debootstrap-default}"
    echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "build_seconds=$((SECONDS - start))"
    echo "include=$include"
    echo "glibc=$(glibc_version "$dir")"
    echo "python=$py $(python_version "$dir" "$py")"
    [ "$name" = sid ] && echo "torch=$(torch_version "$dir" "$py")${TORCH_NOTE:+ ($TORCH_NOTE)}"
    echo "packages:"
    # shellcheck disable=SC2016
    chroot "$dir" dpkg-query -W -f='${Package} ${Version}\n' 2>/dev/null | sed 's/^/  /'
  } >"$dir/$STAMP_NAME.tmp"
  mv "$dir/$STAMP_NAME.tmp" "$dir/$STAMP_NAME"
  log "$name: built in $((SECONDS - start))s"
  report "$name" "$dir" "$py" "$([ "$name" = sid ] && echo yes)"
}

# Installs python3-torch in the sid root; when it cannot, says why and sets TORCH_NOTE.
install_torch() {
  local dir="$1" logf="$2" cand why
  {
    echo "deb ${MIRROR:-http://deb.debian.org/debian} sid main"
  } >"$dir/etc/apt/sources.list"
  printf 'Acquire::Check-Valid-Until "false";\n' >"$dir/etc/apt/apt.conf.d/99leakspy-no-valid-until"
  [ -s "$dir/etc/resolv.conf" ] || cp -L /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
  # No daemons may start inside the root.
  printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"; chmod +x "$dir/usr/sbin/policy-rc.d"
  if mount -t proc proc "$dir/proc" 2>/dev/null; then MOUNTED+=("$dir/proc"); fi

  log "sid: installing python3-torch (log $logf)"
  {
    if ! chroot_apt "$dir" update >>"$logf" 2>&1; then
      why="apt-get update in sid failed: $(reason_from "$logf")"
    else
      cand="$(chroot "$dir" apt-cache policy python3-torch 2>/dev/null | awk '/Candidate:/ { print $2 }')"
      if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then
        why="sid has no python3-torch package for $(dpkg --print-architecture)"
      elif ! chroot_apt "$dir" install -y --no-install-recommends python3-torch >>"$logf" 2>&1; then
        why="apt-get install python3-torch $cand failed: $(reason_from "$logf")"
      elif ! chroot "$dir" python3.14 -c 'import torch' >>"$logf" 2>&1; then
        why="python3-torch $cand installed but 'import torch' fails under python3.14: $(reason_from "$logf")"
      fi
    fi
  }
  umount_all
  rm -f "$dir/usr/sbin/policy-rc.d"
  if [ -n "${why:-}" ]; then
    log "sid: python3-torch left out: $why"
    TORCH_NOTE="left out: $why"
  fi
}

for name in "${names[@]}"; do
  case "$name" in
    bullseye) build_root bullseye bullseye /usr/bin/python3.9 python3 ;;
    sid)      build_root sid sid /usr/bin/python3.14 python3.14 ;;
  esac
done
exit 0
