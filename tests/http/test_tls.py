"""TLS tests: certificates made at test time, HTTPS servers on 127.0.0.1, both transports.

The test PKI has two root authorities. `main_ca` signs the valid, expired and wrong-name server
certificates; `other_ca` signs one more, which a client trusting only `main_ca` must reject. A
self-signed server certificate completes the set.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from imlconnect.errors import TransportError
from imlconnect.http.limits import TransportOptions
from imlconnect.http.tls import context_for_ca, describe_tls_error

NOW = datetime.datetime.now(datetime.UTC)
DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Authority:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @property
    def pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _authority(common_name: str) -> Authority:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - DAY)
        .not_valid_after(NOW + 30 * DAY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Authority(key, cert)


def _server_cert(
    folder: Path,
    label: str,
    issuer: Authority | None,
    names: list[str],
    addresses: list[str],
    not_after: datetime.datetime,
    not_before: datetime.datetime | None = None,
) -> ssl.SSLContext:
    """Write a server certificate and key to `folder` and return a server context that uses them.

    With `issuer` None the certificate is self-signed.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name(names[0] if names else addresses[0])
    alt_names: list[x509.GeneralName] = [x509.DNSName(name) for name in names]
    alt_names += [x509.IPAddress(ipaddress.ip_address(address)) for address in addresses]
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or NOW - 2 * DAY)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False
        )
    cert = builder.sign(issuer.key if issuer else key, hashes.SHA256())

    cert_path = folder / f"{label}.crt"
    key_path = folder / f"{label}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context


@dataclass(frozen=True)
class Pki:
    main_ca: Authority
    other_ca: Authority
    valid: ssl.SSLContext
    expired: ssl.SSLContext
    not_yet_valid: ssl.SSLContext
    wrong_host: ssl.SSLContext
    self_signed: ssl.SSLContext
    unknown_issuer: ssl.SSLContext


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    main_ca = _authority("imlconnect test root")
    other_ca = _authority("imlconnect other root")
    local = ["127.0.0.1"]
    return Pki(
        main_ca=main_ca,
        other_ca=other_ca,
        valid=_server_cert(folder, "valid", main_ca, ["service.test"], local, NOW + 10 * DAY),
        expired=_server_cert(folder, "expired", main_ca, ["service.test"], local, NOW - DAY, NOW - 10 * DAY),
        not_yet_valid=_server_cert(
            folder, "future", main_ca, ["service.test"], local, NOW + 20 * DAY, NOW + 10 * DAY
        ),
        wrong_host=_server_cert(folder, "wrong", main_ca, ["elsewhere.test"], [], NOW + 10 * DAY),
        self_signed=_server_cert(folder, "self", None, ["service.test"], local, NOW + 10 * DAY),
        unknown_issuer=_server_cert(folder, "unknown", other_ca, ["service.test"], local, NOW + 10 * DAY),
    )


def _local() -> TransportOptions:
    return TransportOptions(allow_hosts=("127.0.0.1",))


def _tls_failure(send, request) -> TransportError:
    with pytest.raises(TransportError) as caught:
        send(request, _local())
    return caught.value


# --- trust ------------------------------------------------------------------------------------------


def test_ca_trusts_server(send, serve, wire, reply, pki):
    server = serve(pki.valid)
    url = server.route("/secure", reply(body=b"over tls"))

    response = send(wire(url, ca=pki.main_ca.pem), _local())

    assert response.status == 200
    assert response.body == b"over tls"


def test_default_trust_rejects_private_ca(send, serve, wire, reply, pki):
    server = serve(pki.valid)
    url = server.route("/secure", reply())

    error = _tls_failure(send, wire(url))

    assert error.kind == "tls"
    assert "unknown certificate authority" in error.message
    assert server.requests == []


def test_ca_is_only_authority(send, serve, wire, reply, pki):
    server = serve(pki.valid)
    url = server.route("/secure", reply())

    error = _tls_failure(send, wire(url, ca=pki.other_ca.pem))

    assert error.kind == "tls"
    assert "unknown certificate authority" in error.message


def test_name_checked_not_address(send, serve, wire, reply, pki):
    server = serve(pki.valid)
    server.route("/named", reply(body=b"by name"))
    options = TransportOptions(
        allow_hosts=("service.test",),
        resolver=lambda host, port: ["127.0.0.1"] if host == "service.test" else [],
    )

    response = send(wire(f"https://service.test:{server.port}/named", ca=pki.main_ca.pem), options)

    assert response.body == b"by name"
    assert server.requests[0].header("host") == f"service.test:{server.port}"


def test_name_mismatch_through_resolver(send, serve, wire, reply, pki):
    server = serve(pki.valid)
    server.route("/named", reply())
    options = TransportOptions(allow_private_network=True, resolver=lambda host, port: ["127.0.0.1"])

    with pytest.raises(TransportError) as caught:
        send(wire(f"https://other-name.test:{server.port}/named", ca=pki.main_ca.pem), options)

    assert caught.value.kind == "tls"
    assert "does not match the host name 'other-name.test'" in caught.value.message


# --- one distinct message per certificate problem -----------------------------------------------


@pytest.mark.parametrize(
    ("certificate", "words"),
    [
        ("expired", "has expired"),
        ("not_yet_valid", "is not valid yet"),
        ("wrong_host", "does not match the host name '127.0.0.1'"),
        ("self_signed", "is self-signed"),
        ("unknown_issuer", "unknown certificate authority"),
    ],
)
def test_certificate_problem_named(send, serve, wire, reply, pki, certificate, words):
    server = serve(getattr(pki, certificate))
    url = server.route("/secure", reply())

    error = _tls_failure(send, wire(url, ca=pki.main_ca.pem))

    assert error.kind == "tls"
    assert words in error.message
    assert f"127.0.0.1:{server.port}" in error.message


def test_plain_http_server_on_https(send, server, wire, reply, pki):
    server.route("/plain", reply())

    error = _tls_failure(send, wire(f"https://127.0.0.1:{server.port}/plain", ca=pki.main_ca.pem))

    assert error.kind == "tls"
    assert "did not answer with TLS" in error.message


def test_redirect_to_https_uses_ca(send, serve, wire, reply, pki):
    secure = serve(pki.valid)
    plain = serve()
    secure.route("/landing", reply(body=b"secure landing"))
    plain.route("/start", reply(status=302, headers=[("Location", secure.url("/landing"))]))

    response = send(wire(plain.url("/start"), ca=pki.main_ca.pem), _local())

    assert response.body == b"secure landing"
    assert response.redirects == [plain.url("/start")]


# --- the ca value itself ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pem",
    [
        "not a certificate",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    ],
)
def test_invalid_ca_rejected(send, serve, wire, reply, pki, pem):
    server = serve(pki.valid)
    url = server.route("/secure", reply())

    error = _tls_failure(send, wire(url, ca=pem))

    assert error.kind == "tls"
    assert "'ca'" in error.message
    assert server.requests == []


def test_ca_context_cached(pki):
    first = context_for_ca(pki.main_ca.pem)
    second = context_for_ca(pki.main_ca.pem)
    other = context_for_ca(pki.other_ca.pem)

    assert first is second
    assert other is not first
    assert first.verify_mode == ssl.CERT_REQUIRED
    assert first.check_hostname is True


# --- wording of rarer verification codes ---------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (23, "has been revoked"),
        (19, "self-signed root"),
        (2, "unknown certificate authority"),
        (21, "unknown certificate authority"),
        (64, "does not match"),
        (99, "failed verification"),
    ],
)
def test_verify_codes_worded(code, words):
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_code = code
    error.verify_message = "detail from OpenSSL"

    message = describe_tls_error(error, "api.example.test", 443)

    assert words in message
    assert "api.example.test:443" in message
