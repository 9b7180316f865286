//! `narrate-example-service`: a small order service instrumented with narrate
//! *and* `tracing` macros.
//!
//! `NARRATE_EXAMPLE_LOG=path` (JSON lines; default stdout),
//! `NARRATE_EXAMPLE_ADDR=127.0.0.1:0` (prints `listening on <addr>`).
//!
//! Each request: its `X-Correlation-Id` (validated; generated when absent,
//! replaced when invalid) and `traceparent` become a [`Context`]; a
//! `request` span holds the method and path. The handler logs with narrate,
//! calls a function that logs with `tracing`, awaits a task spawned onto
//! the runtime (`context::propagate`) and a blocking job on another thread;
//! every one of those events carries the request's correlation id and span.
//! `GET /shutdown` stops the service.

use std::io::Write;
use std::time::Duration;

use narrate::context::{self, Context};
use narrate::{Config, Format, Instrument, Span};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tracing_subscriber::layer::SubscriberExt;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::new().level(narrate::Level::Debug);
    let config = match std::env::var_os("NARRATE_EXAMPLE_LOG") {
        Some(path) => config.sink(narrate::FileSink::new(path)),
        None => config.stdout(Format::Json),
    };
    let _guard = narrate::init(config)?;
    // Dependencies that log with `tracing` flow into narrate too.
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry().with(narrate_tracing::layer()),
    )?;
    let addr = std::env::var("NARRATE_EXAMPLE_ADDR").unwrap_or_else(|_| "127.0.0.1:8080".into());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(serve(&addr))?;
    narrate::info!(action = "stop", "service stopped");
    Ok(())
}

async fn serve(addr: &str) -> std::io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    println!("listening on {local}");
    std::io::stdout().flush()?;
    narrate::info!(action = "listen", "listening on {}", local);
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _) = accepted?;
                let stop = stop_tx.clone();
                tokio::spawn(async move {
                    if let Err(e) = connection(stream, stop).await {
                        narrate::warn!(err = narrate::error(&e), "connection failed");
                    }
                });
            }
            _ = stop_rx.changed() => return Ok(()),
        }
    }
}

/// Reads one request (HTTP/1.1, no body), answers, closes.
async fn connection(
    mut stream: TcpStream,
    stop: tokio::sync::watch::Sender<bool>,
) -> std::io::Result<()> {
    let mut buf = vec![0u8; 8192];
    let mut filled = 0;
    let (method, path, correlation, traceparent) = loop {
        let n = stream.read(&mut buf[filled..]).await?;
        if n == 0 {
            return Ok(());
        }
        filled += n;
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(&buf[..filled]) {
            Ok(httparse::Status::Complete(_)) => {
                let header = |name: &str| {
                    req.headers
                        .iter()
                        .find(|h| h.name.eq_ignore_ascii_case(name))
                        .and_then(|h| std::str::from_utf8(h.value).ok())
                        .map(str::to_owned)
                };
                break (
                    req.method.unwrap_or("GET").to_owned(),
                    req.path.unwrap_or("/").to_owned(),
                    header("x-correlation-id"),
                    header("traceparent"),
                );
            }
            Ok(httparse::Status::Partial) if filled < buf.len() => continue,
            _ => return respond(&mut stream, 400, "bad request", None).await,
        }
    };
    let ctx = Context::from_incoming(correlation.as_deref(), traceparent.as_deref());
    let span = narrate::info_span!("request", method = method.as_str(), path = path.as_str());
    let (status, body) = ctx.attach(handle(&method, &path).instrument(span)).await;
    if path == "/shutdown" {
        let _ = stop.send(true);
    }
    respond(&mut stream, status, &body, Some(&ctx)).await
}

async fn respond(
    stream: &mut TcpStream,
    status: u16,
    body: &str,
    ctx: Option<&Context>,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Bad Request",
    };
    let id = ctx.map_or(String::new(), |c| {
        format!("X-Correlation-Id: {}\r\n", c.correlation_id)
    });
    let tp = ctx
        .and_then(Context::outgoing_traceparent)
        .map_or(String::new(), |t| format!("traceparent: {t}\r\n"));
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-length: {}\r\nconnection: close\r\n{id}{tp}\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await
}

async fn handle(method: &str, path: &str) -> (u16, String) {
    narrate::info!(action = "receive", "{} {}", method, path);
    let Some(id) = path
        .strip_prefix("/orders/")
        .and_then(|s| s.parse::<u64>().ok())
    else {
        if path == "/shutdown" {
            return (200, "bye\n".into());
        }
        narrate::warn!(action = "route", "no route for {}", path);
        return (404, "not found\n".into());
    };
    // A task on the runtime: spawned tasks inherit nothing, propagate() carries
    // the context and the span.
    let stock = tokio::spawn(context::propagate(async move { check_stock(id).await }))
        .await
        .unwrap_or(0);
    // A blocking job on another thread: enter the captured scope there.
    let (ctx, span) = (Context::current(), Span::current());
    let price = tokio::task::spawn_blocking(move || {
        let _c = ctx.as_ref().map(Context::enter);
        span.in_scope(|| price_of(id))
    })
    .await
    .unwrap_or(0.0);
    narrate::info!(
        action = "answer",
        order_id = id,
        stock,
        price,
        "order {id}: {stock} in stock at {price:.2}"
    );
    (
        200,
        format!("{{\"order\":{id},\"stock\":{stock},\"price\":{price:.2}}}\n"),
    )
}

/// Logs with `tracing`, as a dependency would.
async fn check_stock(id: u64) -> u64 {
    tracing::debug!(order_id = id, "checking stock");
    tokio::time::sleep(Duration::from_millis(2)).await;
    let stock = id % 7 + 1;
    tracing::info!(order_id = id, stock, "stock checked");
    stock
}

fn price_of(id: u64) -> f64 {
    let price = 9.5 + id as f64 * 0.25;
    narrate::debug!(order_id = id, price, thread = ?std::thread::current().name(), "priced on a blocking thread");
    price
}
