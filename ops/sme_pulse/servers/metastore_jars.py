"""The jars the Hive standalone metastore needs beside its own `lib/`, pinned.

The metastore's binary archive ships without Hadoop. These are the Hadoop 3.3.6 pieces it
loads (configuration, security, FileSystem, and S3A so it can create schema and table
folders in the lake), their own dependencies, the AWS SDK bundle that hadoop-aws 3.3.6 was
built against, and the PostgreSQL driver (42.7.7, which fixes CVE-2025-49146; the
archive's 42.5.1 is removed when it is unpacked). The Docker image (`hive/Dockerfile`)
has Hadoop from apache/hive and adds the same hadoop-aws, AWS SDK bundle and driver
(tests/servers/test_pins.py keeps the versions equal). Found by starting the
metastore, initialising its schema on PostgreSQL and creating databases and tables on S3
with each jar left out in turn; commons-io, re2j and hadoop-hdfs-client were not needed on
those paths but are referenced on others (encryption zones, path patterns, schematool) and
kept. Jersey, Jetty, ZooKeeper, Kerby, YARN and protobuf from Hadoop's tree are not needed.
"""

from __future__ import annotations

from sme_pulse.servers.artifacts import Artifact

METASTORE_CLASSPATH = (
    Artifact(
        "org.apache.hadoop:hadoop-common:3.3.6",
        "10b8edb304bccc10a939d29edde128d0f6d95129427ec69f5cc7003ba8c6b737",
    ),
    Artifact(
        "org.apache.hadoop:hadoop-auth:3.3.6",
        "bb477b94b2a653cdca1e83d7525152108d9faeca74409c22b8f989659abea607",
    ),
    Artifact(
        "org.apache.hadoop:hadoop-hdfs:3.3.6",
        "075fc48fd4ae299a58a9f26fb529671854689b215483b595fed4a56d77cb4c4d",
    ),
    Artifact(
        "org.apache.hadoop:hadoop-hdfs-client:3.3.6",
        "fee1e4addd705a281aafdf02f41426a07ec00382327c44b43e4542818e62c483",
    ),
    Artifact(
        "org.apache.hadoop:hadoop-aws:3.3.6",
        "fba9eb73e6f0f5458355627fe095f5124705d4048551f4d6aa4084777b824c13",
    ),
    Artifact(
        "com.amazonaws:aws-java-sdk-bundle:1.12.367",
        "5e51f896c86c922c254c0184d91a1957929d12c3f1d6fe17aae65909230bc125",
    ),
    Artifact(
        "org.apache.hadoop.thirdparty:hadoop-shaded-guava:1.1.1",
        "66711253edbb9a172efbf12e8b4511cd413627d069e0f5a62ea475b4e14093f8",
    ),
    Artifact(
        "org.apache.commons:commons-configuration2:2.8.0",
        "e5c46e4b0b1acddbc96651838c19d3df70da92dfb5107a6e4c42cb92d3a300bd",
    ),
    Artifact(
        "org.apache.commons:commons-text:1.10.0",
        "770cd903fa7b604d1f7ef7ba17f84108667294b2b478be8ed1af3bffb4ae0018",
    ),
    Artifact(
        "commons-collections:commons-collections:3.2.2",
        "eeeae917917144a68a741d4c0dff66aa5c5c5fd85593ff217bced3fc8ca783b8",
    ),
    Artifact(
        "commons-io:commons-io:2.8.0",
        "02f291e5d1243dc143496e3cbbb40a1ced47aa58f2d633d3e38780cd068d5074",
    ),
    Artifact(
        "com.fasterxml.woodstox:woodstox-core:5.4.0",
        "dbb958cb89f1d45238b061e146249494ff887f5f42b671a3956e98956e0d5c53",
    ),
    Artifact(
        "org.codehaus.woodstox:stax2-api:4.2.1",
        "678567e48b51a42c65c699f266539ad3d676d4b1a5b0ad7d89ece8b9d5772579",
    ),
    Artifact(
        "com.google.re2j:re2j:1.1",
        "24ada84d1b5de584e3e84b06f0c7dd562cee6eafe8dea8083bd8eb123823bbe7",
    ),
    Artifact(
        "com.google.code.gson:gson:2.9.0",
        "c96d60551331a196dac54b745aa642cd078ef89b6f267146b705f2c2cbef052d",
    ),
    Artifact(
        "org.apache.httpcomponents:httpclient:4.5.13",
        "6fe9026a566c6a5001608cf3fc32196641f6c1e5e1986d1037ccdbd5f31ef743",
    ),
    Artifact(
        "javax.servlet:javax.servlet-api:3.1.0",
        "af456b2dd41c4e82cf54f3e743bc678973d9fe35bd4d3071fa05c7e5333b8482",
    ),
    Artifact(
        "org.slf4j:slf4j-api:1.7.36",
        "d3ef575e3e4979678dc01bf1dcce51021493b4d11fb7f1be8ad982877c16a1c0",
    ),
    Artifact(
        "org.postgresql:postgresql:42.7.7",
        "157963d60ae66d607e09466e8c0cdf8087e9cb20d0159899ffca96bca2528460",
    ),
)
