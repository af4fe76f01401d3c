//! A throwaway PostgreSQL cluster for the tests: Debian's server binaries (package
//! `postgresql`), a fresh data directory in a temporary folder, a free loopback port, trust
//! authentication; stopped and removed when dropped. As root (CI) the server runs as the
//! `postgres` user, which the package creates (PostgreSQL refuses to run as root).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    as_postgres: bool,
    pub port: u16,
}

/// The newest installed server's binaries (`/usr/lib/postgresql/<major>/bin`).
pub fn server_bin() -> PathBuf {
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
        // `pg_ctl -w` returned once the server accepts connections.
        assert!(cluster.ready(), "the cluster does not accept connections: {}", std::fs::read_to_string(&log).unwrap_or_default());
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

static SHARED: OnceLock<Cluster> = OnceLock::new();
static GUARD: OnceLock<std::process::ChildStdin> = OnceLock::new();
static DATABASES: AtomicUsize = AtomicUsize::new(0);

impl Cluster {
    /// One cluster for every test of this binary, started by the first that asks. A static is
    /// never dropped, so a guard process holds a pipe from this one: when the test binary exits
    /// (passing, failing or killed) the pipe closes and the guard stops the server and removes
    /// its folder, as the fake's stdin does for the fake.
    pub fn shared() -> &'static Cluster {
        SHARED.get_or_init(|| {
            let cluster = Cluster::start();
            let script = r#"cat >/dev/null
pid=$(head -n 1 "$1/postmaster.pid" 2>/dev/null)
if [ -n "$pid" ]; then
  kill -QUIT "$pid" 2>/dev/null
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
fi
rm -rf "$2""#;
            // It must outlive this process (it cleans up after it): never waited for, by design.
            #[allow(clippy::zombie_processes)]
            let mut guard = Command::new("sh")
                .args(["-c", script, "pg-guard"])
                .arg(cluster.data())
                .arg(cluster.dir.path())
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("the cluster's guard");
            let _ = GUARD.set(guard.stdin.take().unwrap());
            cluster
        })
    }

    /// A new database with a name of its own in this binary.
    pub fn fresh_database(&self, tag: &str) -> String {
        let n = DATABASES.fetch_add(1, Ordering::SeqCst);
        let tag: String = tag.chars().filter(|c| c.is_ascii_alphanumeric()).take(40).collect();
        self.database(&format!("t{n}_{tag}").to_ascii_lowercase())
    }
}
