# tincay on Debian 12: build with the release preset, run as an unprivileged user with only
# the runtime libraries. The database is external (docker-compose.yml gives PostgreSQL 15),
# so the image holds no PostgreSQL server.

FROM debian:12 AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        cmake ninja-build pkg-config gcc libc6-dev gettext nodejs npm \
        libmicrohttpd-dev libpq-dev libxml2-dev libsodium-dev libjansson-dev \
        libxlsxwriter-dev libqrencode-dev libutf8proc-dev zlib1g-dev libgnutls28-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake --preset release && cmake --build --preset release

FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        ca-certificates curl libmicrohttpd12 libgnutls30 libpq5 libxml2 libsodium23 libjansson4 \
        libxlsxwriter4 libqrencode4 libutf8proc2 zlib1g \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --user-group --home-dir /var/lib/tincay --shell /usr/sbin/nologin tincay \
 && install -d -o tincay -g tincay -m 0700 /var/lib/tincay /etc/tincay/keys
COPY --from=build /src/build/release/tincay /usr/local/bin/tincay
COPY --from=build /src/forms /usr/share/tincay/forms

USER tincay
WORKDIR /var/lib/tincay
ENV TINCAY_LISTEN=0.0.0.0:8080 \
    TINCAY_DATA_DIR=/var/lib/tincay \
    TINCAY_KEY_FILE=/etc/tincay/keys/server.key \
    TINCAY_FORMS_DIR=/usr/share/tincay/forms
EXPOSE 8080
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s \
    CMD curl -fsS -o /dev/null http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["/usr/local/bin/tincay"]
CMD ["serve"]
