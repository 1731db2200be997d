/** 40 real IANA zones, including half-hour, 45-minute and southern-hemisphere DST ones. */
export const benchZones = [
  'UTC', 'America/New_York', 'America/Chicago', 'America/Denver', 'America/Los_Angeles', 'America/Anchorage',
  'America/Sao_Paulo', 'America/Mexico_City', 'America/Toronto', 'America/Bogota', 'America/Santiago',
  'America/St_Johns', 'Europe/London', 'Europe/Berlin', 'Europe/Paris', 'Europe/Madrid', 'Europe/Rome',
  'Europe/Moscow', 'Europe/Istanbul', 'Europe/Kyiv', 'Africa/Cairo', 'Africa/Johannesburg', 'Africa/Lagos',
  'Asia/Dubai', 'Asia/Tehran', 'Asia/Kolkata', 'Asia/Kathmandu', 'Asia/Dhaka', 'Asia/Bangkok', 'Asia/Shanghai',
  'Asia/Singapore', 'Asia/Tokyo', 'Asia/Seoul', 'Australia/Adelaide', 'Australia/Sydney', 'Australia/Lord_Howe',
  'Australia/Perth', 'Pacific/Auckland', 'Pacific/Chatham', 'Pacific/Honolulu',
];
