/** Word lists the generators draw from. Values avoid '|' and tabs (truth lines use them). */

export const firstNames = [
  'Ada', 'Alan', 'Alice', 'Amir', 'Ana', 'Ben', 'Bianca', 'Carlos', 'Chen', 'Chloe', 'Daniel', 'Diana',
  'Elena', 'Emeka', 'Eva', 'Farah', 'Felix', 'Grace', 'Hana', 'Hugo', 'Ibrahim', 'Ines', 'Ivan', 'Jade',
  'James', 'Jia', 'Joe', 'Julia', 'Kai', 'Kenji', 'Lara', 'Leo', 'Lina', 'Lucas', 'Maya', 'Mei', 'Mohammed',
  'Nadia', 'Noah', 'Olga', 'Omar', 'Priya', 'Rafael', 'Rosa', 'Sam', 'Sara', 'Tariq', 'Tom', 'Uma', 'Yusuf',
] as const;

export const lastNames = [
  'Abbott', 'Adeyemi', 'Baker', 'Bauer', 'Chen', 'Costa', 'Dubois', 'Evans', 'Fischer', 'Garcia', 'Gupta',
  'Hansen', 'Ito', 'Jensen', 'Khan', 'Kim', 'Kowalski', 'Larsen', 'Lopez', 'Martin', 'Meyer', 'Moreau',
  'Nakamura', 'Nguyen', 'Novak', 'Okafor', 'Olsen', 'Patel', 'Petrov', 'Quinn', 'Rossi', 'Sato', 'Schmidt',
  'Silva', 'Smith', 'Tanaka', 'Taylor', 'Usman', 'Varga', 'Wang', 'Weber', 'Wilson', 'Yamada', 'Zhang',
] as const;

export const groupNames = [
  'Engineering', 'Sales', 'Finance', 'Human Resources', 'Marketing', 'Support', 'IT Admins', 'Contractors',
  'VPN Users', 'Executives', 'Legal', 'Operations', 'Security', 'Interns', 'Remote Workers', 'Token Users',
  'AD Sync - Domain Users', 'AD Sync - Finance', 'Azure AD - All Staff', 'Okta - Engineering',
] as const;

export const domains = ['example.com', 'example.org', 'corp.example.net'] as const;

export interface Place {
  city: string;
  state: string;
  country: string;
  /** First two octets of a plausible public IPv4 address there. */
  ipPrefix: string;
}

export const places: readonly Place[] = [
  { city: 'Ann Arbor', state: 'Michigan', country: 'United States', ipPrefix: '169.232' },
  { city: 'Austin', state: 'Texas', country: 'United States', ipPrefix: '72.177' },
  { city: 'Seattle', state: 'Washington', country: 'United States', ipPrefix: '50.35' },
  { city: 'New York', state: 'New York', country: 'United States', ipPrefix: '66.65' },
  { city: 'London', state: 'England', country: 'United Kingdom', ipPrefix: '81.2' },
  { city: 'Berlin', state: 'Berlin', country: 'Germany', ipPrefix: '85.214' },
  { city: 'Paris', state: 'Ile-de-France', country: 'France', ipPrefix: '90.84' },
  { city: 'Toronto', state: 'Ontario', country: 'Canada', ipPrefix: '99.224' },
  { city: 'Sydney', state: 'New South Wales', country: 'Australia', ipPrefix: '101.180' },
  { city: 'Tokyo', state: 'Tokyo', country: 'Japan', ipPrefix: '126.78' },
  { city: 'Sao Paulo', state: 'Sao Paulo', country: 'Brazil', ipPrefix: '177.33' },
  { city: 'Bengaluru', state: 'Karnataka', country: 'India', ipPrefix: '49.207' },
];

export const applicationNames = [
  'Microsoft Azure Active Directory', 'Cisco AnyConnect VPN', 'Okta', 'Salesforce', 'Windows Logon',
  'Duo Admin Panel', 'Workday', 'GitHub Enterprise', 'AWS Console', 'Slack',
] as const;

/** Duo integration types of the applications above, in the same order. */
export const applicationTypes = [
  'azure-ca', 'ciscoasa', 'okta', 'sso-salesforce', 'rdp', 'adminpanel', 'sso-workday', 'sso-github', 'sso-amazon', 'sso-slack',
] as const;

export const browsers = [
  { browser: 'Chrome', versions: ['124.0.6367.91', '125.0.6422.60', '67.0.3396.99'] },
  { browser: 'Edge', versions: ['124.0.2478.80', '125.0.2535.51'] },
  { browser: 'Safari', versions: ['17.4.1', '16.6'] },
  { browser: 'Firefox', versions: ['125.0', '126.0.1'] },
] as const;

export const operatingSystems = [
  { os: 'Windows', versions: ['10', '11'] },
  { os: 'Mac OS X', versions: ['14.4.1', '13.6.6', '10.14.1'] },
  { os: 'iOS', versions: ['17.4.1', '16.7.7'] },
  { os: 'Android', versions: ['14', '13'] },
  { os: 'Linux', versions: ['unknown'] },
] as const;

export const phoneModels = [
  { platform: 'Apple iOS', model: 'Apple iPhone 15', name: 'My iPhone' },
  { platform: 'Apple iOS', model: 'Apple iPhone 11 Pro', name: 'Work iPhone' },
  { platform: 'Google Android', model: 'Google Pixel 8', name: 'Pixel' },
  { platform: 'Google Android', model: 'Samsung Galaxy S23', name: 'Galaxy' },
] as const;

export const adminActions = [
  'admin_login', 'user_update', 'user_create', 'user_delete', 'group_update', 'group_create', 'phone_create',
  'phone_delete', 'integration_update', 'admin_update', 'customer_update', 'activation_begin',
] as const;

export const activityActions = [
  'admin_login', 'user_update', 'user_create', 'group_update', 'integration_update', 'phone_activation',
  'policy_update', 'admin_self_activate',
] as const;

export const adminNames = ['admin', 'secops', 'jane.admin', 'it-helpdesk', 'owner'] as const;
