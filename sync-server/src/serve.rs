//! Serving the router on a listener, over TLS (rustls with the ring provider) when a
//! certificate is configured, and shutting down gracefully.

use std::future::Future;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum_server::tls_rustls::RustlsConfig;
use axum_server::Handle;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use thiserror::Error;

use crate::api::{router, AppState};

/// Why the TLS configuration could not be loaded.
#[derive(Debug, Error)]
pub enum TlsError {
    /// The certificate chain file.
    #[error("reading certificate chain {path}: {message}")]
    Cert {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The private key file.
    #[error("reading private key {path}: {message}")]
    Key {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// rustls refused the pair.
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
}

/// A rustls server configuration (ring provider, TLS 1.2 and 1.3, HTTP/1.1) from PEM files.
pub fn tls_config(cert: &Path, key: &Path) -> Result<RustlsConfig, TlsError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|it| it.collect::<Result<_, _>>())
        .map_err(|e| TlsError::Cert {
            path: cert.display().to_string(),
            message: e.to_string(),
        })?;
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsError::Key {
        path: key.display().to_string(),
        message: e.to_string(),
    })?;
    config_of(certs, key_der, &cert.display().to_string())
}

/// [`tls_config`] from PEM held in memory (the venue relay's private key, unsealed from its
/// directory and never written in the clear); `what` names them in errors.
pub fn tls_config_pem(
    cert_pem: &[u8],
    key_pem: &[u8],
    what: &str,
) -> Result<RustlsConfig, TlsError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| TlsError::Cert {
            path: what.to_owned(),
            message: e.to_string(),
        })?;
    let key_der = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| TlsError::Key {
        path: what.to_owned(),
        message: e.to_string(),
    })?;
    config_of(certs, key_der, what)
}

fn config_of(
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    what: &str,
) -> Result<RustlsConfig, TlsError> {
    if certs.is_empty() {
        return Err(TlsError::Cert {
            path: what.to_owned(),
            message: "no certificate found".into(),
        });
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(RustlsConfig::from_config(Arc::new(config)))
}

/// Serves until `shutdown` resolves, then stops accepting and lets requests in flight finish
/// (at most 10 s).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    tls: Option<RustlsConfig>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    let handle: Handle<SocketAddr> = Handle::new();
    let on_shutdown = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutting down");
        on_shutdown.graceful_shutdown(Some(Duration::from_secs(10)));
    });
    let app = router(state).into_make_service();
    match tls {
        Some(config) => {
            axum_server::from_tcp_rustls(listener, config)?
                .handle(handle)
                .serve(app)
                .await
        }
        None => {
            axum_server::from_tcp(listener)?
                .handle(handle)
                .serve(app)
                .await
        }
    }
}

/// Resolves on ctrl-c or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
