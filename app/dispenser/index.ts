// Public face of the dispenser drivers: the interface, the 0xFA 0xFB driver, its frame codec, serial ports.
export type {
  Dispenser,
  DispenserCapabilities,
  DispenserEvent,
  Lane,
  LaneState,
  LaneStatus,
  LatchedResult,
  LinkState,
  MachineStatus,
  UnclaimedReport,
  VendMark,
  VendOutcome,
} from './dispenser.ts';
export { LATCH_CLEAR_MARK } from './dispenser.ts';
export { createFafbDispenser, DEFAULT_FAFB_TIMING, FafbDispenserError } from './fafb-dispenser.ts';
export type {
  FafbDispenser,
  FafbDispenserOptions,
  FafbStats,
  FafbTiming,
  LaneInfo,
} from './fafb-dispenser.ts';
export {
  ACK_FRAME,
  FafbCmd,
  FafbDecoder,
  FafbEncodeError,
  FafbFrameParser,
  POLL_FRAME,
  decodeFrames,
  encodeFrame,
  hex,
  xorOf,
} from './fafb-frame.ts';
export type { FafbFrame, FafbParserStats, FafbRejectReason } from './fafb-frame.ts';
export {
  DISPENSE_STATUS,
  GENERIC_BOARD_PROFILE,
  dispenseStatusOutcome,
  selectionStatus,
} from './fafb-codes.ts';
export type { DispensePolicy, DispenseStatusRow, FafbBoardProfile, PolicySource } from './fafb-codes.ts';
export { listSerialPorts, openSerialPort, SerialOpenError } from './serial-port.ts';
export type { SerialPortInfo } from './serial-port.ts';
export {
  createZdm8Dispenser,
  DEFAULT_ZDM8_TIMING,
  Zdm8DispenserError,
  ZDM8_REG,
  ZDM8_STATE,
} from './zdm8-dispenser.ts';
export type { Zdm8DispenserOptions, Zdm8Timing } from './zdm8-dispenser.ts';
export { crc16Modbus, ModbusReplyReader, readRegisters, writeRegisters } from './modbus-rtu.ts';
export type { ModbusReply } from './modbus-rtu.ts';
export { vendOutcomeDetail } from './vend-outcome.ts';
export { PollPace } from './poll-pace.ts';
export type { PollPaceOptions } from './poll-pace.ts';
