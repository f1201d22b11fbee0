# Installs what the project's builds and tests need, only when missing.
# Sourced by scripts/test; safe to run again. Needs root for apt.
set -euo pipefail

need_rust_target() {
    rustup target list --installed | grep -qx "$1" || rustup target add "$1"
}

need_nightly() {
    rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
}

need_cargo_tool() { # binary crate [version]
    local bin=$1 crate=$2 version=${3:-}
    if ! command -v "$bin" >/dev/null 2>&1; then
        if [ -n "$version" ]; then
            cargo install "$crate" --version "$version"
        else
            cargo install "$crate" --locked
        fi
    fi
}

need_apt() { # package...
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
    fi
}

# The real peers of the integration tests: the registry (distribution
# 2.8.2), skopeo, and nginx for the CORS proxy.
setup_servers() {
    need_apt docker-registry skopeo nginx
}

setup_core() {
    rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
    rustup component list --installed | grep -q '^clippy' || rustup component add clippy
    need_rust_target wasm32-unknown-unknown
}

# The npm package's wasm is smallest built with nightly's -Zbuild-std,
# which needs rust-src; without it bindings/npm's build uses stable.
setup_wasm_size() {
    need_nightly
    rustup component list --toolchain nightly --installed | grep -qx 'rust-src' ||
        rustup component add rust-src --toolchain nightly ||
        echo "rust-src for nightly is not available: the npm build falls back to stable"
}

setup_fuzz() {
    need_nightly
    need_cargo_tool cargo-fuzz cargo-fuzz
}
