/**
 * The boards as plain definitions (one question per panel, its queries, how it is drawn) and
 * their translation into Grafana dashboards with the foundation SDK's builders. docs/boards.md
 * and the query proofs read the same definitions, so they cannot drift from the JSON.
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import {
  CustomVariableBuilder,
  DashboardBuilder,
  DashboardCursorSync,
  QueryVariableBuilder,
  RowBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import type {
  DataTransformerConfig,
  Dashboard,
  Threshold,
  ValueMapping,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { ReduceDataOptionsBuilder } from '@grafana/grafana-foundation-sdk/common';
import { PanelBuilder as BarGaugePanel } from '@grafana/grafana-foundation-sdk/bargauge';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as StateTimelinePanel } from '@grafana/grafana-foundation-sdk/statetimeline';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { DATASOURCES } from './datasources';
import type { DatasourceKey } from './datasources';

export type PanelKind = 'timeseries' | 'stat' | 'table' | 'state-timeline' | 'bargauge';

export interface QueryDef {
  /** InfluxQL (raw mode) or PostgreSQL, with Grafana variables and macros. */
  readonly text: string;
  /** Grafana's result shape: series over time, or rows. */
  readonly format: 'time_series' | 'table';
  /** Legend alias (InfluxQL `alias`), e.g. "$tag_device". */
  readonly alias?: string;
}

export interface PanelDef {
  readonly title: string;
  /** The question the panel answers (shown as its description in Grafana). */
  readonly question: string;
  readonly kind: PanelKind;
  readonly datasource: DatasourceKey;
  readonly queries: readonly QueryDef[];
  readonly width: number;
  readonly height: number;
  readonly unit?: string;
  readonly min?: number;
  readonly max?: number;
  readonly decimals?: number;
  /** Ascending steps; the first is the base colour. */
  readonly thresholds?: readonly Threshold[];
  readonly mappings?: readonly ValueMapping[];
  readonly transformations?: readonly DataTransformerConfig[];
  /** Panel-relative time, e.g. "now/M" for "this month". */
  readonly timeFrom?: string;
  /**
   * Stat and bar gauge on rows (a table answer): one value per row of the fields matching this
   * regex, instead of one number reduced from the whole column.
   */
  readonly eachRow?: string;
}

/** A multi-value variable with All, its options from a query. */
export interface QueryVariableDef {
  readonly type: 'query';
  readonly name: string;
  readonly label: string;
  readonly datasource: DatasourceKey;
  /** Returns the options; may use the variables defined before it. */
  readonly query: string;
  /**
   * What All sends (Grafana's custom all value, inserted as it is): never the list of every
   * option, which at a hospital group's scale is 100,000 devices.
   */
  readonly allValue: string;
}

/** A single-value variable with fixed options (text shown, value sent unescaped). */
export interface CustomVariableDef {
  readonly type: 'custom';
  readonly name: string;
  readonly label: string;
  readonly description: string;
  readonly options: readonly { readonly text: string; readonly value: string }[];
}

export type VariableDef = QueryVariableDef | CustomVariableDef;

export interface RowDef {
  readonly title: string;
  readonly panels: readonly PanelDef[];
}

export interface BoardDef {
  readonly uid: string;
  readonly title: string;
  /** Folder under grafana/dashboards = Grafana folder (foldersFromFilesStructure). */
  readonly folder: string;
  readonly file: string;
  readonly summary: string;
  readonly tags: readonly string[];
  readonly time: { readonly from: string; readonly to: string };
  readonly refresh: string;
  readonly variables: readonly VariableDef[];
  readonly rows: readonly RowDef[];
}

/** A raw-mode InfluxQL or SQL target; the SDK has no builder for either datasource. */
class RawQueryBuilder implements cog.Builder<cog.Dataquery> {
  constructor(
    private readonly datasource: DatasourceKey,
    private readonly refId: string,
    private readonly query: QueryDef,
  ) {}

  build(): cog.Dataquery {
    const ds = DATASOURCES[this.datasource];
    const target =
      ds.type === 'influxdb'
        ? {
            refId: this.refId,
            datasource: { type: ds.type, uid: ds.uid },
            rawQuery: true,
            resultFormat: this.query.format,
            query: this.query.text,
            ...(this.query.alias === undefined ? {} : { alias: this.query.alias }),
          }
        : {
            refId: this.refId,
            datasource: { type: ds.type, uid: ds.uid },
            rawQuery: true,
            editorMode: 'code',
            format: this.query.format,
            rawSql: this.query.text,
          };
    return { ...target, _implementsDataqueryVariant: () => undefined };
  }
}

type AnyPanelBuilder =
  TimeseriesPanel | StatPanel | TablePanel | StateTimelinePanel | BarGaugePanel;

function panelBuilder(kind: PanelKind): AnyPanelBuilder {
  switch (kind) {
    case 'timeseries':
      return new TimeseriesPanel();
    case 'stat':
      return new StatPanel();
    case 'table':
      return new TablePanel();
    case 'state-timeline':
      return new StateTimelinePanel();
    case 'bargauge':
      return new BarGaugePanel();
  }
}

function buildPanel(def: PanelDef): AnyPanelBuilder {
  const ds = DATASOURCES[def.datasource];
  const panel = panelBuilder(def.kind)
    .title(def.title)
    .description(def.question)
    .datasource({ type: ds.type, uid: ds.uid })
    .span(def.width)
    .height(def.height);
  def.queries.forEach((query, i) => {
    panel.withTarget(new RawQueryBuilder(def.datasource, String.fromCharCode(65 + i), query));
  });
  if (def.unit !== undefined) panel.unit(def.unit);
  if (def.min !== undefined) panel.min(def.min);
  if (def.max !== undefined) panel.max(def.max);
  if (def.decimals !== undefined) panel.decimals(def.decimals);
  if (def.thresholds !== undefined) {
    panel.thresholds(
      new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([...def.thresholds]),
    );
  }
  if (def.mappings !== undefined) panel.mappings([...def.mappings]);
  if (def.transformations !== undefined) panel.transformations([...def.transformations]);
  if (def.timeFrom !== undefined) panel.timeFrom(def.timeFrom);
  if (def.eachRow !== undefined && (panel instanceof StatPanel || panel instanceof BarGaugePanel)) {
    panel.reduceOptions(new ReduceDataOptionsBuilder().values(true).calcs([]).fields(def.eachRow));
  }
  return panel;
}

function buildVariable(def: VariableDef): QueryVariableBuilder | CustomVariableBuilder {
  if (def.type === 'custom') {
    const [first] = def.options;
    if (first === undefined) throw new Error(`variable ${def.name}: no options`);
    return new CustomVariableBuilder(def.name)
      .label(def.label)
      .description(def.description)
      .values(def.options.map((o) => `${o.text} : ${o.value}`).join(','))
      .options(def.options.map((o, i) => ({ selected: i === 0, text: o.text, value: o.value })))
      .current({ selected: true, text: first.text, value: first.value })
      .multi(false)
      .includeAll(false)
      .allowCustomValue(false);
  }
  const ds = DATASOURCES[def.datasource];
  return new QueryVariableBuilder(def.name)
    .label(def.label)
    .datasource({ type: ds.type, uid: ds.uid })
    .query(def.query)
    .definition(def.query)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue(def.allValue)
    .current({ selected: true, text: ['All'], value: ['$__all'] });
}

/** The dashboard JSON Grafana provisions for a board. */
export function buildBoard(def: BoardDef): Dashboard {
  const builder = new DashboardBuilder(def.title)
    .uid(def.uid)
    .description(def.summary)
    .tags([...def.tags])
    .timezone('browser')
    .time({ ...def.time })
    .refresh(def.refresh)
    .tooltip(DashboardCursorSync.Crosshair)
    .readonly();
  for (const variable of def.variables) builder.withVariable(buildVariable(variable));
  // stable ids in layout order: links to a panel (viewPanel=<id>) survive regeneration
  let id = 0;
  for (const row of def.rows) {
    builder.withRow(new RowBuilder(row.title).id(++id));
    for (const panel of row.panels) builder.withPanel(buildPanel(panel).id(++id));
  }
  return builder.build();
}
