"""RSA-2048 key pairs for our actors, as PEM text."""

from __future__ import annotations

import functools

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

PublicKey = rsa.RSAPublicKey | ed25519.Ed25519PublicKey


def generate_pem_pair() -> tuple[str, str]:
    """A new key pair as (public PEM, private PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")
    return public_pem, private_pem


@functools.cache
def load_private(pem: str) -> rsa.RSAPrivateKey:
    """One of our own private keys from PEM, parsed once per process.

    The keys are ones we generated and stored ourselves, so the costly consistency check
    (about 26 ms a key here, against 0.01 ms without) guards against nothing.
    """
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None, unsafe_skip_rsa_key_validation=True)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


@functools.cache
def load_public(pem: str) -> PublicKey:
    """A remote actor's public key from PEM (RSA or Ed25519), parsed once per process."""
    key = serialization.load_pem_public_key(pem.encode("ascii"))
    if not isinstance(key, (rsa.RSAPublicKey, ed25519.Ed25519PublicKey)):
        raise ValueError("unsupported public key type")
    return key
