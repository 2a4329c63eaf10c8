# Sourced by rootless tests after lib.sh: RL_UID/RL_GID of nobody, a private
# XDG_RUNTIME_DIR ($XDG), and `as_user CMD...` running CMD as nobody there
# (no --root: the runtime picks $XDG_RUNTIME_DIR/myrt). Skips without nobody
# or unprivileged user namespaces.
require_cmd setpriv
RL_UID=$(id -u nobody 2>/dev/null) || skip "needs the user nobody"
RL_GID=$(id -g nobody)
XDG=$TEST_TMP/xdg
mkdir -p "$XDG" && chown "$RL_UID:$RL_GID" "$XDG" && chmod 700 "$XDG"
as_user() {
    timeout -k 5 60 setpriv --reuid="$RL_UID" --regid="$RL_GID" --clear-groups \
        env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin XDG_RUNTIME_DIR="$XDG" HOME=/ "$@"
}
as_user sh -c 'unshare -U true' 2>/dev/null || skip "unprivileged user namespaces are disabled on this host"
