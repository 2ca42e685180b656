/**
 * The columns hand-written SELECTs of more than one feature read from a
 * table, as the snake_case row `rowsOf` decodes through the schema: written
 * once, so the seat page and the timeline cannot drift apart.
 */
import { deviceEvents, logins } from './schema/index.js';

/** What a device event says, beside its id and seat. */
export const DEVICE_EVENT_COLUMNS = {
  time: deviceEvents.time,
  action: deviceEvents.action,
  name: deviceEvents.name,
  manufacturer: deviceEvents.manufacturer,
  vendor_id: deviceEvents.vendorId,
  product_id: deviceEvents.productId,
  serial: deviceEvents.serial,
  mass_storage: deviceEvents.massStorage,
};

/** What a login record says, beside its id and seat. */
export const LOGIN_COLUMNS = {
  at: logins.at,
  kind: logins.kind,
  ip: logins.ip,
  allowed: logins.allowed,
  reason: logins.reason,
  hostname: logins.hostname,
  os_user: logins.osUser,
};
