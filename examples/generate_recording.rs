//! Generates a realistic recorded run of `GET /users` pages, reproducibly from a seed.
//!
//! Used for `fixtures/sample` (committed) and for the large runs of `make fixtures-large` and
//! `make bench`, which are generated rather than committed.
//!
//! ```text
//! cargo run --release --example generate_recording -- --users 100000 --seed 7 --out target/fixtures/users-100k
//! ```

use std::path::PathBuf;

use chrono::{DateTime, Duration, TimeZone, Utc};
use clap::Parser;
use extractor::{RecordingWriter, UserStatus};
use serde::Serialize;

/// Generate a recorded run.
#[derive(Debug, Parser)]
struct Args {
    /// Total users, split 85% active, 7% pending, 8% inactive (ignored when a count is given).
    #[arg(long, default_value_t = 1000)]
    users: u64,
    /// Active users.
    #[arg(long)]
    active: Option<u64>,
    /// Pending users.
    #[arg(long)]
    pending: Option<u64>,
    /// Inactive (deactivated) users.
    #[arg(long)]
    inactive: Option<u64>,
    /// Users per page.
    #[arg(long, default_value_t = 2000)]
    page_size: u64,
    /// Random seed; the same seed gives the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Zoom account id written to the index.
    #[arg(long)]
    account_id: Option<String>,
    /// Output directory (created).
    #[arg(long)]
    out: PathBuf,
}

/// SplitMix64: tiny, fast and stable across versions, which is all reproducible fixtures need.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn token(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        (0..len)
            .map(|_| ALPHABET[self.below(64) as usize] as char)
            .collect()
    }
}

const FIRST: &[&str] = &[
    "Jill", "Ahmed", "Maria", "Wei", "Olivia", "Noah", "Fatima", "Lukas", "Sofia", "Kenji",
    "Amara", "Mateo", "Priya", "Elena", "Oscar", "Chloé", "Björn", "Aisha", "Diego", "Hana",
];
const LAST: &[&str] = &[
    "Chill",
    "Khan",
    "García",
    "Zhang",
    "Smith",
    "Müller",
    "Okafor",
    "Rossi",
    "Tanaka",
    "Novak",
    "Dubois",
    "Silva",
    "Kowalski",
    "Nguyen",
    "O'Brien",
    "Johansson",
    "Haddad",
    "Patel",
    "Kim",
    "López",
];
const DEPTS: &[&str] = &[
    "Sales",
    "Engineering",
    "Support",
    "Finance",
    "Marketing",
    "HR",
    "Legal",
    "Operations",
    "",
];
const ZONES: &[&str] = &[
    "America/New_York",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Australia/Sydney",
    "America/Sao_Paulo",
];
const CLIENTS: &[&str] = &[
    "6.2.5.40123(mac)",
    "6.2.3.39718(win)",
    "6.1.11.39163(win)",
    "5.17.11.34827(android)",
    "6.0.2.33403(iphone)",
    "5.16.10.26186(linux)",
];

#[derive(Serialize)]
struct License {
    license_type: &'static str,
    license_option: u64,
    subscription_id: String,
}

#[derive(Serialize)]
struct User {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    first_name: String,
    last_name: String,
    display_name: String,
    email: String,
    #[serde(rename = "type")]
    plan_type: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pmi: Option<u64>,
    timezone: &'static str,
    verified: u8,
    dept: &'static str,
    user_created_at: String,
    created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_login_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_client_version: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    plan_united_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    license_info_list: Option<Vec<License>>,
    language: &'static str,
    phone_number: String,
    status: &'static str,
    role_id: &'static str,
    group_ids: Vec<String>,
    im_group_ids: Vec<String>,
}

#[derive(Serialize)]
struct PageBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    page_count: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    page_number: Option<u64>,
    page_size: u64,
    total_records: u64,
    next_page_token: &'a str,
    users: &'a [User],
}

fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn user(rng: &mut Rng, n: u64, status: UserStatus, now: DateTime<Utc>) -> User {
    let first = rng.pick(FIRST);
    let last = rng.pick(LAST);
    let plain = |s: &str| {
        s.chars()
            .map(|c| match c {
                'á' | 'à' => 'a',
                'é' | 'è' => 'e',
                'í' => 'i',
                'ó' | 'ö' => 'o',
                'ú' | 'ü' => 'u',
                other => other,
            })
            .filter(|c| c.is_ascii_alphabetic())
            .collect::<String>()
            .to_lowercase()
    };
    let email = format!("{}.{}{}@example.com", plain(first), plain(last), n);
    let created = now
        - Duration::days(rng.below(2000) as i64 + 1)
        - Duration::seconds(rng.below(86_400) as i64);
    let plan_type = match (status, rng.below(100)) {
        (UserStatus::Pending, p) if p < 70 => 1,
        (UserStatus::Pending, _) => 2,
        (_, p) if p < 34 => 1,
        (_, p) if p < 89 => 2,
        (_, p) if p < 94 => 4,
        (_, p) if p < 99 => 99,
        _ => 3,
    };
    let logged_in = status != UserStatus::Pending && rng.chance(93);
    let licensed = plan_type == 2;
    User {
        id: (status != UserStatus::Pending).then(|| rng.token(22)),
        first_name: first.into(),
        last_name: last.into(),
        display_name: format!("{first} {last}"),
        email,
        plan_type,
        pmi: (status != UserStatus::Pending).then(|| 2_000_000_000 + rng.below(7_999_999_999)),
        timezone: rng.pick(ZONES),
        verified: u8::from(status != UserStatus::Pending),
        dept: rng.pick(DEPTS),
        user_created_at: time(created),
        created_at: time(created + Duration::days(rng.below(30) as i64)),
        last_login_time: logged_in
            .then(|| time(now - Duration::minutes(rng.below(60 * 24 * 400) as i64))),
        last_client_version: logged_in.then(|| rng.pick(CLIENTS)),
        plan_united_type: (licensed && rng.chance(6)).then(|| rng.pick(&["1", "2", "4", "131072"])),
        license_info_list: (licensed && rng.chance(30)).then(|| {
            vec![License {
                license_type: rng.pick(&["MEETING", "ZOOM_WORKPLACE_BUNDLE"]),
                // Real values exceed 2^53; keep them there so float-parsing readers get caught.
                license_option: (1u64 << 53) + rng.below(1 << 40),
                subscription_id: rng.token(12),
            }]
        }),
        language: "en-US",
        phone_number: if rng.chance(20) {
            format!("+1 555 01{:02}", rng.below(100))
        } else {
            String::new()
        },
        status: status.as_str(),
        role_id: if n == 0 {
            "0"
        } else if rng.chance(3) {
            "1"
        } else {
            "2"
        },
        group_ids: if rng.chance(40) {
            vec![rng.token(22)]
        } else {
            Vec::new()
        },
        im_group_ids: Vec::new(),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let mut rng = Rng(args.seed);
    let counts = [
        (
            UserStatus::Active,
            args.active.unwrap_or(args.users * 85 / 100),
        ),
        (
            UserStatus::Pending,
            args.pending.unwrap_or(args.users * 7 / 100),
        ),
        (
            UserStatus::Inactive,
            args.inactive
                .unwrap_or(args.users - args.users * 85 / 100 - args.users * 7 / 100),
        ),
    ];
    let now = Utc
        .with_ymd_and_hms(2026, 11, 2, 8, 0, 0)
        .single()
        .ok_or("bad time")?;
    let mut fetched_at = now;
    let mut writer = RecordingWriter::create(&args.out, args.account_id.clone(), now)?;
    let mut n = 0u64;
    let mut users = Vec::with_capacity(args.page_size as usize);
    let mut body = Vec::new();
    for (status, total) in counts {
        let pages = total.div_ceil(args.page_size).max(1);
        let sweep = &extractor::zoom::users::sweeps(&[status], args.page_size as u32, false)[0];
        let mut request = sweep.clone();
        for page in 0..pages {
            users.clear();
            let here = (total - page * args.page_size).min(args.page_size);
            for _ in 0..here {
                users.push(user(&mut rng, n, status, now));
                n += 1;
            }
            let last = page + 1 == pages;
            let next_page_token = if last { String::new() } else { rng.token(33) };
            let envelope = PageBody {
                page_count: (page == 0).then_some(pages),
                page_number: (page == 0).then_some(1),
                page_size: args.page_size,
                total_records: total,
                next_page_token: &next_page_token,
                users: &users,
            };
            body.clear();
            serde_json::to_writer(&mut body, &envelope)?;
            fetched_at += Duration::milliseconds(350 + rng.below(400) as i64);
            writer.record_page(&request, 200, fetched_at, &body)?;
            request = sweep.next(&next_page_token);
        }
    }
    let index = writer.finish()?;
    eprintln!(
        "generated {n} users in {} pages into {}",
        index.pages.len(),
        args.out.display()
    );
    Ok(())
}
