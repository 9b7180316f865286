//! A `kind = "syslog"` sink from narrate.toml delivers RFC 5424 messages
//! (here to a UDP socket on loopback; the rsyslog tests cover the sink itself).

use std::net::UdpSocket;
use std::time::Duration;

#[test]
fn a_syslog_sink_from_the_file_delivers() {
    let receiver = UdpSocket::bind("127.0.0.1:0").unwrap();
    receiver
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("narrate.toml");
    std::fs::write(
        &path,
        format!(
            "[[sinks]]\nkind = \"syslog\"\naddress = \"{}\"\nfacility = \"local3\"\napp_name = \"orders\"\n",
            receiver.local_addr().unwrap()
        ),
    )
    .unwrap();
    let _guard = narrate::init(narrate::Config::from_file(&path).unwrap()).unwrap();
    narrate::warn!(action = "ship", "order {id} late", id = 7u64);
    narrate::flush();
    let mut buf = [0u8; 4096];
    let n = receiver.recv(&mut buf).unwrap();
    let msg = String::from_utf8_lossy(&buf[..n]);
    // local3 (19) * 8 + warning (4) = 156.
    assert!(msg.starts_with("<156>1 "), "{msg}");
    assert!(msg.contains(" orders "), "{msg}");
    assert!(msg.contains(" ship "), "{msg}");
    assert!(msg.contains("order 7 late"), "{msg}");
}
