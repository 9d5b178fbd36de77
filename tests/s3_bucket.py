"""A bucket on moto's S3 server for the pictures' tests, which the real boto3 client (through
django-storages) talks to over HTTP. A plugin of tests/conftest.py: any test may ask for
``bucket``; moto and boto3 are imported only then."""

import json
import logging
import socket

import pytest

BUCKET = "twinning-media"
REGION = "eu-central-1"
KEYS = {"access_key": "test-access-key", "secret_key": "test-secret-key"}
# The policy README, "Images", gives: anyone may read what is under images/.
PUBLIC_READ = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{BUCKET}/images/*",
        }
    ],
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 server on a free port of this machine, for the session."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    # Its request log says nothing the tests need.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def s3_options(endpoint: str, **extra) -> dict:
    """The default storage's options as backend/settings.py builds them for a bucket."""
    from botocore.config import Config

    return {
        "bucket_name": BUCKET,
        "endpoint_url": endpoint,
        "region_name": REGION,
        **KEYS,
        "client_config": Config(
            s3={"addressing_style": "path"},
            connect_timeout=3,
            read_timeout=20,
            retries={"max_attempts": 3, "mode": "standard"},
        ),
        "querystring_auth": False,
        "default_acl": None,
        "file_overwrite": True,
        "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
        "custom_domain": None,
        "url_protocol": "https:",
        **extra,
    }


@pytest.fixture
def bucket(s3_server, settings):
    """An empty bucket, made the default storage; a boto3 client to look into it."""
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name=REGION,
        aws_access_key_id=KEYS["access_key"],
        aws_secret_access_key=KEYS["secret_key"],
    )
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    # Anyone may read the pictures, as README, "Images", asks of a bucket: by its policy.
    client.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(PUBLIC_READ))
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": s3_options(s3_server)},
    }
    yield client
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)
    client.close()


def keys_in(client) -> set[str]:
    listed = client.list_objects_v2(Bucket=BUCKET)
    return {item["Key"] for item in listed.get("Contents", [])}
