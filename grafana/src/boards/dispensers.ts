import { DEVICE_CATALOG, DEVICE_KINDS, MOTOR_STATES } from '@orfleet/devices';
import { MappingType } from '@grafana/grafana-foundation-sdk/dashboard';
import type { BoardDef } from '../model';
import {
  INFLUX_DEVICE_FILTER,
  RESOLUTION_VARIABLE,
  atResolution,
  telemetryVariables,
} from './filters';

/** Dispensers, recyclers and changing cabinets: the kinds that report a motor or stock. */
export const DISPENSING_KINDS = DEVICE_KINDS.filter((kind) =>
  DEVICE_CATALOG[kind].telemetry.some(
    (field) => field === 'motor_state' || field === 'stock_level',
  ),
);

const MOTOR_COLOURS: Readonly<Record<(typeof MOTOR_STATES)[number], string>> = {
  ok: 'green',
  stalled: 'red',
  overcurrent: 'orange',
  fault: 'dark-red',
};

const WHERE = `${INFLUX_DEVICE_FILTER} AND $timeFilter`;
const CURRENT = atResolution('telemetry', 'motor_current_ma');
const STOCK = atResolution('telemetry', 'stock_level');

export const DISPENSERS: BoardDef = {
  uid: 'orfleet-dispensers',
  title: 'Dispensers and cabinets',
  folder: 'fleet',
  file: 'dispensers-and-cabinets.json',
  summary:
    'Gown and shoe dispensers, recyclers and changing cabinets: motors, faults, cycles, stock and doors.',
  tags: ['orfleet', 'fleet', 'dispensers'],
  time: { from: 'now-24h', to: 'now' },
  refresh: '1m',
  variables: [...telemetryVariables(DISPENSING_KINDS), RESOLUTION_VARIABLE],
  rows: [
    {
      title: 'Motors',
      panels: [
        {
          title: 'Motor state',
          question: 'When was a motor stalled, over current or faulted, and for how long?',
          kind: 'state-timeline',
          datasource: 'influx',
          queries: [
            {
              text: `SELECT last("motor_state") FROM "telemetry" WHERE ${WHERE} GROUP BY time($__interval), "device" fill(previous)`,
              format: 'time_series',
              alias: '$tag_device',
            },
          ],
          width: 12,
          height: 8,
          mappings: [
            {
              type: MappingType.ValueToText,
              options: Object.fromEntries(
                MOTOR_STATES.map((state, index) => [
                  state,
                  { text: state, color: MOTOR_COLOURS[state], index },
                ]),
              ),
            },
          ],
        },
        {
          title: 'Motor current',
          question:
            'Is a motor drawing more current than usual (wear, jam building up)? Follows $resolution.',
          kind: 'timeseries',
          datasource: 'influx',
          queries: [
            {
              text: `SELECT mean(${CURRENT.field}) FROM ${CURRENT.from} WHERE ${WHERE} GROUP BY time($__interval), "device" fill(null)`,
              format: 'time_series',
              alias: '$tag_device',
            },
          ],
          width: 12,
          height: 8,
          unit: 'mamp',
          min: 0,
        },
      ],
    },
    {
      title: 'Faults and cycles',
      panels: [
        {
          title: 'Faults raised by code',
          question: 'Which faults were raised in the time range, and how often?',
          kind: 'table',
          datasource: 'influx',
          queries: [
            {
              text: `SELECT count("active") AS "raised" FROM "fault" WHERE ${WHERE} AND "active" = true GROUP BY "code"`,
              format: 'table',
            },
          ],
          width: 8,
          height: 8,
          transformations: [{ id: 'sortBy', options: { sort: [{ field: 'raised', desc: true }] } }],
        },
        {
          title: 'Cycles per interval',
          question: 'How much is each device used? Dispensing or recycling cycles per interval.',
          kind: 'timeseries',
          datasource: 'influx',
          queries: [
            {
              text: `SELECT non_negative_difference(max("cycles_total")) FROM "telemetry" WHERE ${WHERE} GROUP BY time($__interval), "device" fill(none)`,
              format: 'time_series',
              alias: '$tag_device',
            },
          ],
          width: 16,
          height: 8,
          unit: 'short',
          min: 0,
        },
      ],
    },
    {
      title: 'Stock and doors',
      panels: [
        {
          title: 'Stock level',
          question:
            'How many items are left in each dispenser and cabinet? Follows $resolution (1m: the minute’s mean).',
          kind: 'timeseries',
          datasource: 'influx',
          queries: [
            {
              text: `SELECT last(${STOCK.field}) FROM ${STOCK.from} WHERE ${WHERE} GROUP BY time($__interval), "device" fill(previous)`,
              format: 'time_series',
              alias: '$tag_device',
            },
          ],
          width: 12,
          height: 8,
          unit: 'short',
          min: 0,
        },
        {
          title: 'Empty soon',
          question:
            'Which dispensers run empty first? Items left divided by the dispensing rate over the time range (cycles per hour): a linear forecast, refills not anticipated.',
          kind: 'table',
          datasource: 'influx',
          queries: [
            {
              // one cycle dispenses one item; spread() of the cycle counter ignores refills
              text: `SELECT "stock", "dispensed", "stock" / "dispensed" * $__range_s / 3600 AS "hours_to_empty" FROM (SELECT last("stock_level") AS "stock", spread("cycles_total") AS "dispensed" FROM "telemetry" WHERE ${WHERE} GROUP BY "device") WHERE "dispensed" > 0 AND "stock" >= 0 GROUP BY "device"`,
              format: 'table',
            },
          ],
          width: 12,
          height: 8,
          decimals: 1,
          thresholds: [
            { value: null, color: 'red' },
            { value: 4, color: 'orange' },
            { value: 12, color: 'green' },
          ],
          transformations: [
            { id: 'sortBy', options: { sort: [{ field: 'hours_to_empty', desc: false }] } },
          ],
        },
        {
          title: 'Doors open',
          question:
            'When were service or dispensing doors open (dispensers, recyclers), and how many cabinet doors?',
          kind: 'state-timeline',
          datasource: 'influx',
          queries: [
            {
              text: `SELECT last("door_open") AS "door_open" FROM "telemetry" WHERE ${WHERE} GROUP BY time($__interval), "device" fill(previous)`,
              format: 'time_series',
              alias: '$tag_device',
            },
            {
              text: `SELECT max("doors_open") AS "doors_open" FROM "telemetry" WHERE ${WHERE} GROUP BY time($__interval), "device" fill(previous)`,
              format: 'time_series',
              alias: '$tag_device doors',
            },
          ],
          width: 24,
          height: 8,
        },
      ],
    },
  ],
};
