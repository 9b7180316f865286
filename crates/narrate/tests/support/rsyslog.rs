//! A real rsyslogd for the syslog sink's tests: installed by
//! scripts/install-rsyslog.sh, run unprivileged in the foreground with its
//! own configuration (imudp + imtcp on 127.0.0.1, imuxsock on a socket in a
//! temporary directory, omfile with RSYSLOG_SyslogProtocol23Format), and a
//! small RFC 5424 parser for what it wrote.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Path of rsyslogd, installing it through the project's script if needed.
/// Panics loudly if neither works: these tests exist to run against the
/// real receiver.
pub fn rsyslogd() -> PathBuf {
    for p in ["/usr/sbin/rsyslogd", "/sbin/rsyslogd"] {
        if Path::new(p).exists() {
            return PathBuf::from(p);
        }
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/install-rsyslog.sh");
    let out = Command::new("bash")
        .arg(&script)
        .stderr(Stdio::inherit())
        .output()
        .expect("run scripts/install-rsyslog.sh");
    assert!(
        out.status.success(),
        "scripts/install-rsyslog.sh failed; the syslog tests need rsyslog"
    );
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

pub fn free_tcp_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Rsyslog {
    child: Child,
    pub dir: PathBuf,
    pub udp: SocketAddr,
    pub tcp: SocketAddr,
    pub unix: PathBuf,
    pub out: PathBuf,
}

impl Rsyslog {
    pub fn start(dir: &Path) -> Rsyslog {
        Rsyslog::start_on(dir, free_udp_port(), free_tcp_port())
    }

    /// Starts rsyslogd with the given ports and waits until it accepts TCP.
    pub fn start_on(dir: &Path, udp_port: u16, tcp_port: u16) -> Rsyslog {
        let bin = rsyslogd();
        let work = dir.join("work");
        std::fs::create_dir_all(&work).unwrap();
        let unix = dir.join("log.sock");
        let out = dir.join("out.log");
        let conf = dir.join("rsyslog.conf");
        std::fs::write(
            &conf,
            format!(
                r#"global(workDirectory="{work}" maxMessageSize="64k")
module(load="imudp")
module(load="imtcp")
module(load="imuxsock" SysSock.Use="off")
input(type="imudp" address="127.0.0.1" port="{udp_port}")
input(type="imtcp" address="127.0.0.1" port="{tcp_port}")
input(type="imuxsock" Socket="{unix}" UseSpecialParser="off" ParseHostname="on" IgnoreTimestamp="off" RateLimit.Interval="0" CreatePath="on")
*.* action(type="omfile" file="{out}" template="RSYSLOG_SyslogProtocol23Format")
"#,
                work = work.display(),
                unix = unix.display(),
                out = out.display(),
            ),
        )
        .unwrap();
        let child = Command::new(bin)
            .args(["-n", "-iNONE", "-f"])
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start rsyslogd");
        let udp: SocketAddr = format!("127.0.0.1:{udp_port}").parse().unwrap();
        let tcp: SocketAddr = format!("127.0.0.1:{tcp_port}").parse().unwrap();
        let mut r = Rsyslog {
            child,
            dir: dir.to_path_buf(),
            udp,
            tcp,
            unix,
            out,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if TcpStream::connect(tcp).is_ok() && r.unix.exists() {
                break;
            }
            if let Ok(Some(status)) = r.child.try_wait() {
                panic!("rsyslogd exited at start: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "rsyslogd did not start listening"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        r
    }

    /// Lines rsyslog wrote so far.
    pub fn lines(&self) -> Vec<String> {
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Waits until `pred` holds for the parsed messages, or panics after 15 s.
    pub fn wait_for(&self, what: &str, pred: impl Fn(&[Message]) -> bool) -> Vec<Message> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let msgs: Vec<Message> = self.lines().iter().map(|l| parse(l)).collect();
            if pred(&msgs) {
                return msgs;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; rsyslog wrote {} lines:\n{}",
                msgs.len(),
                self.lines().join("\n")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One RFC 5424 message as rsyslog's RSYSLOG_SyslogProtocol23Format wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub pri: u8,
    pub timestamp: String,
    pub hostname: String,
    pub app_name: String,
    pub procid: String,
    pub msgid: String,
    /// SD-ID → params in order.
    pub sd: BTreeMap<String, Vec<(String, String)>>,
    pub msg: String,
}

impl Message {
    pub fn severity(&self) -> u8 {
        self.pri % 8
    }
    pub fn facility(&self) -> u8 {
        self.pri / 8
    }
    pub fn param(&self, sd_id: &str, name: &str) -> Option<&str> {
        self.sd
            .get(sd_id)?
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses one RFC 5424 message strictly; panics with the line on a syntax error.
pub fn parse(line: &str) -> Message {
    let fail = |why: &str| -> ! { panic!("not RFC 5424 ({why}): {line:?}") };
    let rest = line.strip_prefix('<').unwrap_or_else(|| fail("no <"));
    let (pri, rest) = rest.split_once('>').unwrap_or_else(|| fail("no >"));
    let pri: u8 = pri.parse().unwrap_or_else(|_| fail("PRI"));
    let rest = rest.strip_prefix("1 ").unwrap_or_else(|| fail("VERSION"));
    let mut parts = rest.splitn(6, ' ');
    let mut next = |what| parts.next().unwrap_or_else(|| fail(what)).to_string();
    let timestamp = next("TIMESTAMP");
    let hostname = next("HOSTNAME");
    let app_name = next("APP-NAME");
    let procid = next("PROCID");
    let msgid = next("MSGID");
    let rest = next("SD");
    let b = rest.as_bytes();
    let mut sd = BTreeMap::new();
    let mut i = 0;
    if rest.starts_with('-') {
        i = 1;
    } else {
        while i < b.len() && b[i] == b'[' {
            i += 1;
            let id_end = i + rest[i..].find([' ', ']']).unwrap_or_else(|| fail("SD-ID"));
            let id = rest[i..id_end].to_string();
            i = id_end;
            let mut params = Vec::new();
            while b[i] == b' ' {
                i += 1;
                let eq = i + rest[i..].find('=').unwrap_or_else(|| fail("="));
                let name = rest[i..eq].to_string();
                i = eq + 1;
                if b[i] != b'"' {
                    fail("opening quote");
                }
                i += 1;
                let mut value = Vec::new();
                loop {
                    match b.get(i) {
                        None => fail("unterminated value"),
                        Some(b'\\') if matches!(b.get(i + 1), Some(b'"' | b'\\' | b']')) => {
                            value.push(b[i + 1]);
                            i += 2;
                        }
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(b']') => fail("unescaped ] in a value"),
                        Some(&c) => {
                            value.push(c);
                            i += 1;
                        }
                    }
                }
                params.push((name, String::from_utf8(value).unwrap()));
            }
            if b[i] != b']' {
                fail("closing ]");
            }
            i += 1;
            sd.insert(id, params);
        }
    }
    let msg = rest[i..]
        .strip_prefix(' ')
        .unwrap_or(&rest[i..])
        .to_string();
    Message {
        pri,
        timestamp,
        hostname,
        app_name,
        procid,
        msgid,
        sd,
        msg,
    }
}
