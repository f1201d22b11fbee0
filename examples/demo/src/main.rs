//! The demo README's first command runs (`scripts/demo`): it starts a real
//! registry on a free loopback port, generates a multi-platform image, and
//! walks the main job with the `ocireg` CLI, printing each command and its
//! output. The registry stops (and its storage goes) when the demo ends.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use ocireg_testkit::{write_oci_layout, Auth, ImageSpec, Registry};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The `ocireg` binary: `$OCIREG_BIN`, else next to this one.
fn ocireg_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("OCIREG_BIN") {
        return p.into();
    }
    let me = std::env::current_exe().unwrap_or_default();
    me.with_file_name("ocireg")
}

fn step(title: &str, args: &[&str]) -> Result<String, String> {
    println!("\n# {title}");
    println!("$ ocireg {}", args.join(" "));
    let out = Command::new(ocireg_bin())
        .args(args)
        .env(
            "DOCKER_CONFIG",
            std::env::temp_dir().join("ocireg-demo-no-docker-config"),
        )
        .output()
        .map_err(|e| {
            format!(
                "cannot run {}: {e} (build it: cargo build -p ocireg-cli)",
                ocireg_bin().display()
            )
        })?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    print!("{stdout}");
    if !out.status.success() {
        return Err(format!(
            "ocireg {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(stdout)
}

fn run() -> Result<(), String> {
    let registry = Registry::start(Auth::None).map_err(|e| e.to_string())?;
    let h = registry.host();
    println!(
        "A registry (distribution 2.8.2) is running at {}",
        registry.url()
    );

    let dir = std::env::temp_dir().join(format!("ocireg-demo-{}", std::process::id()));
    let image = write_oci_layout(
        &dir,
        &ImageSpec::multi_platform(2026)
            .tag("1.0")
            .layers(2, 64 * 1024),
    )
    .map_err(|e| e.to_string())?;
    println!(
        "Generated a linux/amd64 + linux/arm64 image in {}",
        dir.display()
    );

    let app = format!("{h}/demo/app:1.0");
    step(
        "Push the image from its OCI layout",
        &["push", dir.to_str().unwrap_or_default(), &app],
    )?;
    step("List the registry's repositories", &["catalog", &h])?;
    step(
        "List the repository's tags",
        &["tags", &format!("{h}/demo/app")],
    )?;
    step(
        "Inspect the image: platforms, sizes, layers",
        &["inspect", &app],
    )?;
    let digest = step("The manifest digest (a HEAD request)", &["digest", &app])?;
    if digest.trim() != image.root.digest {
        return Err(format!(
            "digest {} differs from the layout's {}",
            digest.trim(),
            image.root.digest
        ));
    }
    step(
        "The arm64 image's config",
        &["config", &app, "--platform", "linux/arm64"],
    )?;
    step(
        "Copy to another repository (blobs are mounted, not re-uploaded)",
        &["copy", &app, &format!("{h}/mirror/app:1.0")],
    )?;
    step("Tag it", &["tag", &format!("{h}/mirror/app:1.0"), "stable"])?;
    step(
        "Docker Hub's one-repository plan: many images into one repository as <image>-<tag>",
        &[
            "retag-into",
            &format!("{h}/me/all"),
            &app,
            &format!("{h}/mirror/app:stable"),
        ],
    )?;
    step("Its tags", &["tags", &format!("{h}/me/all")])?;
    step(
        "Delete the mirror's manifest (every tag on it goes)",
        &["delete", &format!("{h}/mirror/app:stable")],
    )?;
    step(
        "The mirror's tags now",
        &["tags", &format!("{h}/mirror/app")],
    )?;
    let _ = std::fs::remove_dir_all(&dir);
    println!("\nDone; the registry stops now.");
    Ok(())
}
