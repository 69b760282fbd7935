//! Build script. Only the `gdal` feature needs it: the store's SQLite is compiled into the binary (rusqlite's
//! `bundled`), and GNU ld would export its `sqlite3_*` functions because the system libgdal references them, so
//! libgdal's GeoPackage driver would call the bundled SQLite while libspatialite calls the system one with the same
//! handle, and crash. `--exclude-libs,ALL` keeps symbols of static archives out of the binary's dynamic symbol table,
//! so libgdal binds to the system libsqlite3 it was built with, and the store keeps its own.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let gdal = std::env::var_os("CARGO_FEATURE_GDAL").is_some();
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    if gdal && linux {
        println!("cargo:rustc-link-arg=-Wl,--exclude-libs,ALL");
    }
}
