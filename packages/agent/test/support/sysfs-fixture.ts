/**
 * A folder shaped like Linux sysfs, for the real sysfs devices adapter: the
 * device tree under devices/, with bus/usb/devices and block holding
 * symlinks into it as the kernel lays them out. Plugging a device in creates
 * its folders, attribute files and links; pulling it out removes them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const CONTROLLER = 'devices/pci0000:00/0000:00:14.0';
const SATA = 'devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0';

export interface UsbSpec {
  /** Port path, as the kernel names the device: "1-2", "1-1.4". */
  readonly port: string;
  readonly vendorId: string;
  readonly productId: string;
  readonly manufacturer?: string;
  readonly product?: string;
  readonly serial?: string;
  readonly deviceClass?: string;
  readonly interfaceClasses?: readonly string[];
  readonly devnum: number;
  /** A disk behind the device's first interface (USB mass storage): its block name and size. */
  readonly disk?: {
    readonly name: string;
    readonly sectors: number;
    readonly vendor: string;
    readonly model: string;
  };
}

export class SysfsFixture {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'sysfs-'));

  /** A machine with one USB controller (root hub usb1), a fixed SATA disk and a loop device. */
  static machine(): SysfsFixture {
    const sys = new SysfsFixture();
    sys.files(`${CONTROLLER}/usb1`, {
      idVendor: '1d6b',
      idProduct: '0002',
      manufacturer: 'Linux 6.8.0 xhci-hcd',
      product: 'xHCI Host Controller',
      serial: '0000:00:14.0',
      bDeviceClass: '09',
      busnum: '1',
      devnum: '1',
    });
    sys.link('bus/usb/devices/usb1', `${CONTROLLER}/usb1`);
    sys.files(`${CONTROLLER}/usb1/1-0:1.0`, { bInterfaceClass: '09' });
    sys.link('bus/usb/devices/1-0:1.0', `${CONTROLLER}/usb1/1-0:1.0`);
    sys.files(SATA, { vendor: 'ATA     ', model: 'Samsung SSD 870 ' });
    sys.files(`${SATA}/block/sda`, { removable: '0', size: '976773168' });
    sys.link(`${SATA}/block/sda/device`, SATA);
    sys.link('block/sda', `${SATA}/block/sda`);
    sys.files('devices/virtual/block/loop0', { removable: '0', size: '0' });
    sys.link('block/loop0', 'devices/virtual/block/loop0');
    return sys;
  }

  plugUsb(spec: UsbSpec): void {
    const dir = `${CONTROLLER}/usb1/${spec.port}`;
    const optional = (name: string, value: string | undefined) =>
      value === undefined ? {} : { [name]: value };
    this.files(dir, {
      idVendor: spec.vendorId,
      idProduct: spec.productId,
      bDeviceClass: spec.deviceClass ?? '00',
      busnum: '1',
      devnum: String(spec.devnum),
      ...optional('manufacturer', spec.manufacturer),
      ...optional('product', spec.product),
      ...optional('serial', spec.serial),
    });
    for (const [index, cls] of (spec.interfaceClasses ?? []).entries()) {
      const name = `${spec.port}:1.${index}`;
      this.files(`${dir}/${name}`, { bInterfaceClass: cls });
      // Interfaces are listed after their device, as a real attach creates them.
      this.link(`bus/usb/devices/${name}`, `${dir}/${name}`);
    }
    if (spec.disk) {
      const scsi = `${dir}/${spec.port}:1.0/host6/target6:0:0/6:0:0:0`;
      this.files(scsi, { vendor: `${spec.disk.vendor}  `, model: `${spec.disk.model}      ` });
      this.files(`${scsi}/block/${spec.disk.name}`, { removable: '1', size: String(spec.disk.sectors) });
      this.link(`${scsi}/block/${spec.disk.name}/device`, scsi);
      this.link(`block/${spec.disk.name}`, `${scsi}/block/${spec.disk.name}`);
    }
    this.link(`bus/usb/devices/${spec.port}`, dir);
  }

  unplugUsb(spec: UsbSpec): void {
    if (spec.disk) fs.rmSync(path.join(this.root, 'block', spec.disk.name));
    for (const name of fs.readdirSync(path.join(this.root, 'bus/usb/devices'))) {
      if (name === spec.port || name.startsWith(`${spec.port}:`))
        fs.rmSync(path.join(this.root, 'bus/usb/devices', name));
    }
    fs.rmSync(path.join(this.root, `${CONTROLLER}/usb1/${spec.port}`), { recursive: true });
  }

  /** A folder with one file per attribute (sysfs ends each value with a newline). */
  files(dir: string, attributes: Record<string, string>): void {
    const full = path.join(this.root, dir);
    fs.mkdirSync(full, { recursive: true });
    for (const [name, value] of Object.entries(attributes))
      fs.writeFileSync(path.join(full, name), `${value}\n`);
  }

  /** A relative symlink at `at` to `target` (both relative to the root), as sysfs has them. */
  link(at: string, target: string): void {
    const full = path.join(this.root, at);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.symlinkSync(path.relative(path.dirname(full), path.join(this.root, target)), full);
  }

  remove(relative: string): void {
    fs.rmSync(path.join(this.root, relative), { recursive: true, force: true });
  }

  close(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
