# Samsa broker image. Configuration comes from config/server.properties plus
# SAMSA_OVERRIDES (space-separated key=value pairs passed as --override).
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/samsa
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts=false
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bin ./bin
COPY config ./config
RUN npm run build && npm prune --omit=dev
ENV SAMSA_OVERRIDES=""
EXPOSE 9092
CMD ["sh", "-c", "exec node --max-semi-space-size=64 dist/cli/main.js server-start config/server.properties $(for o in $SAMSA_OVERRIDES; do printf -- '--override %s ' \"$o\"; done)"]
