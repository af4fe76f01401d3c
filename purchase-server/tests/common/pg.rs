//! A throwaway PostgreSQL cluster for the tests: Debian's server binaries (package
//! `postgresql`), a fresh data directory in a temporary folder, a free loopback port, trust
//! authentication; stopped and removed when dropped. As root (CI) the server runs as the
//! `postgres` user, which the package creates (PostgreSQL refuses to run as root).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    as_postgres: bool,
    pub port: u16,
}

/// The newest installed server's binaries (`/usr/lib/postgresql/<major>/bin`).
fn server_bin() -> PathBuf {
    let mut majors: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL's server is not installed: apt-get install postgresql (scripts/install-deps does)")
        .filter_map(|e| e.ok())
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin)| bin.join("initdb").is_file())
        .collect();
    majors.sort();
    majors.pop().expect("no PostgreSQL server binaries under /usr/lib/postgresql").1
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

impl Cluster {
    pub fn start() -> Cluster {
        let bin = server_bin();
        let as_postgres = is_root();
        // As root the server runs as `postgres`, which must reach the folder: /tmp, not a TMPDIR
        // that may sit under root's home.
        let builder = tempfile::Builder::new().prefix("modio-pg-").clone();
        let dir = if as_postgres { builder.tempdir_in("/tmp") } else { builder.tempdir() }.unwrap();
        if as_postgres {
            let ok = Command::new("chown").args(["-R", "postgres:postgres"]).arg(dir.path()).status().unwrap().success();
            assert!(ok, "chown the cluster's folder to postgres");
        }
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let cluster = Cluster { dir, bin, as_postgres, port };
        let data = cluster.data();
        cluster.run("initdb", &["-D", path(&data), "-U", "test", "-A", "trust", "--no-sync", "-E", "UTF8"]);
        // fsync off: these tests kill clients, never the server; the server's own durability is
        // PostgreSQL's business. The socket stays in the cluster's folder, not /run.
        let options = format!("-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off", path(cluster.dir.path()));
        let log = cluster.dir.path().join("server.log");
        cluster.run("pg_ctl", &["-D", path(&data), "-l", path(&log), "-o", &options, "-w", "-t", "60", "start"]);
        let deadline = Instant::now() + Duration::from_secs(60);
        while !cluster.ready() {
            assert!(
                Instant::now() < deadline,
                "the cluster did not accept connections: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        cluster
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, tool: &str) -> Command {
        let program = self.bin.join(tool);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let out = self.command(tool).args(args).output().unwrap_or_else(|e| panic!("{tool}: {e}"));
        assert!(out.status.success(), "{tool} failed: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    }

    fn ready(&self) -> bool {
        postgres::Client::connect(&self.url("postgres"), postgres::NoTls).is_ok()
    }

    /// `postgresql://test@127.0.0.1:PORT/name`.
    pub fn url(&self, database: &str) -> String {
        format!("postgresql://test@127.0.0.1:{}/{database}", self.port)
    }

    /// A new empty database; its URL.
    pub fn database(&self, name: &str) -> String {
        let mut admin = postgres::Client::connect(&self.url("postgres"), postgres::NoTls).unwrap();
        admin.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        self.url(name)
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temporary path")
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Immediate: nothing to flush for a throwaway cluster.
        let data = self.data();
        let _ = self.command("pg_ctl").args(["-D", path(&data), "-m", "immediate", "-w", "stop"]).output();
    }
}
