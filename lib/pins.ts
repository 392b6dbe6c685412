import pins from './helm/pins.json';

// Everything this library pins, read from one file (lib/helm/pins.json): the helm binary, the two
// charts with the sha256 of each archive it accepts, the images it writes into manifests, and
// Falco's default ruleset. Change a version there, nowhere else.

/** An archive of a chart that is accepted, and where its digest comes from. */
export interface ChartArchiveDigest {
  readonly sha256: string;
  /** Where the digest was taken from. */
  readonly source: string;
}

/** A chart pinned by name, version, repository and archive digests. */
export interface PinnedChart {
  readonly name: string;
  readonly version: string;
  readonly appVersion: string;
  readonly repo: string;
  /** The archives accepted for this name and version; any other is refused. */
  readonly archives: readonly ChartArchiveDigest[];
}

export const FALCO_CHART: PinnedChart = pins.charts.falco;
export const OTEL_OPERATOR_CHART: PinnedChart = pins.charts.otelOperator;

/** The helm release charts are rendered with, and how `npm ci` installs it (scripts/setup.mjs). */
export const HELM_PIN = pins.helm;

/** Images written into the manifests. */
export const IMAGES = pins.images;

/** Falco's default ruleset, installed by falcoctl when a Falco pod starts. */
export const FALCO_RULES = pins.falcoRules;
