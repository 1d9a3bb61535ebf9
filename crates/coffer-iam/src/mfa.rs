//! Virtual MFA devices (TOTP, RFC 6238) of IAM users and of the root user.

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

use crate::iam::{create, delete, put, validate_name};
use crate::{Iam, IamError, MfaDevice};

/// TOTP time step (RFC 6238), as AWS virtual MFA devices use.
const TOTP_STEP_SECS: i64 = 30;
/// Steps either side of now a code is accepted in, for clock drift.
const TOTP_WINDOW: i64 = 1;

impl Iam {
    pub async fn delete_virtual_mfa_device(
        &self,
        account: &str,
        serial: &str,
    ) -> Result<(), IamError> {
        let _g = self.write_lock.lock().await;
        let dev = self.mfa_device(account, serial)?;
        if dev.user.is_some() {
            return Err(IamError::DeleteConflict(
                "MFA device is still in use; deactivate it first.".into(),
            ));
        }
        self.apply(vec![delete(&mfa_key(serial))]).await?;
        Ok(())
    }

    /// The name a device's `user` has when the account's root user holds it (no IAM user
    /// name can contain `<` or `>`).
    pub const ROOT_MFA_USER: &'static str = "<root>";

    /// A new device and its TOTP seed (base32), shown once.
    pub async fn create_virtual_mfa_device(
        &self,
        account: &str,
        name: &str,
    ) -> Result<(MfaDevice, String), IamError> {
        validate_name(name, 128, "virtualMFADeviceName")?;
        let mut seed = Zeroizing::new([0u8; 20]);
        aws_lc_rs::rand::SecureRandom::fill(&self.rng, seed.as_mut())
            .map_err(|_| IamError::Random)?;
        let serial = format!("arn:aws:iam::{account}:mfa/{name}");
        let sealed = self
            .secrets
            .seal_secret(seed.as_ref(), mfa_context(&serial).as_bytes(), &self.rng)
            .map_err(|_| IamError::Random)?;
        let dev = MfaDevice {
            account: account.to_owned(),
            name: name.to_owned(),
            serial: serial.clone(),
            user: None,
            created_ms: self.clock.now_ms(),
            enabled_ms: None,
            sealed_seed: B64.encode(sealed),
            last_step: 0,
        };
        match self.apply(vec![create(&mfa_key(&serial), &dev)]).await {
            Ok(()) => Ok((dev, base32(seed.as_ref()))),
            Err(coffer_store::StoreError::KvConflict(_)) => Err(IamError::EntityAlreadyExists(
                "MFADevice entity at the same path and name already exists.".into(),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// Enables a device for a user: two consecutive codes prove the user holds it.
    pub async fn enable_mfa_device(
        &self,
        account: &str,
        user: &str,
        serial: &str,
        code1: &str,
        code2: &str,
    ) -> Result<(), IamError> {
        let _g = self.write_lock.lock().await;
        if user != Self::ROOT_MFA_USER {
            self.user(account, user)?;
        }
        let mut dev = self.mfa_device(account, serial)?;
        if dev.user.is_some() {
            return Err(IamError::EntityAlreadyExists(
                "MFA device is already in use.".into(),
            ));
        }
        let seed = self.mfa_seed(&dev)?;
        let now_step = self.clock.now_ms().div_euclid(1000) / TOTP_STEP_SECS;
        // Look a little further back than for sign-in: the two codes are typed one after the other.
        let found = (now_step - 10..=now_step + TOTP_WINDOW).find(|&s| {
            s >= 0 && totp(&seed, s as u64) == code1 && totp(&seed, s as u64 + 1) == code2
        });
        let Some(step) = found else {
            return Err(IamError::InvalidAuthenticationCode(
                "Authentication code for device is not valid.".into(),
            ));
        };
        dev.user = Some(user.to_owned());
        dev.enabled_ms = Some(self.clock.now_ms());
        dev.last_step = step as u64 + 1;
        self.apply(vec![put(&mfa_key(serial), &dev)]).await?;
        Ok(())
    }

    pub async fn deactivate_mfa_device(
        &self,
        account: &str,
        user: &str,
        serial: &str,
    ) -> Result<(), IamError> {
        let _g = self.write_lock.lock().await;
        let mut dev = self.mfa_device(account, serial)?;
        if dev.user.as_deref() != Some(user) {
            return Err(IamError::NoSuchEntity(format!(
                "MFA Device with serial number {serial} not found for user {user}."
            )));
        }
        dev.user = None;
        dev.enabled_ms = None;
        self.apply(vec![put(&mfa_key(serial), &dev)]).await?;
        Ok(())
    }

    /// Every virtual MFA device of the account, assigned or not.
    pub fn virtual_mfa_devices(&self, account: &str) -> Result<Vec<MfaDevice>, IamError> {
        self.list::<MfaDevice>(&format!("mfa/arn:aws:iam::{account}:mfa/"))
    }

    pub fn mfa_devices(
        &self,
        account: &str,
        user: Option<&str>,
    ) -> Result<Vec<MfaDevice>, IamError> {
        Ok(self
            .list::<MfaDevice>(&format!("mfa/arn:aws:iam::{account}:mfa/"))?
            .into_iter()
            .filter(|d| d.user.is_some() && (user.is_none() || d.user.as_deref() == user))
            .collect())
    }

    /// Checks a code from `user`'s enabled device; a code is accepted once.
    pub async fn verify_mfa(
        &self,
        account: &str,
        user: &str,
        serial: &str,
        code: &str,
    ) -> Result<bool, IamError> {
        let _g = self.write_lock.lock().await;
        let Ok(mut dev) = self.mfa_device(account, serial) else {
            return Ok(false);
        };
        if dev.user.as_deref() != Some(user) {
            return Ok(false);
        }
        let seed = self.mfa_seed(&dev)?;
        let now_step = self.clock.now_ms().div_euclid(1000) / TOTP_STEP_SECS;
        let hit = (now_step - TOTP_WINDOW..=now_step + TOTP_WINDOW)
            .filter(|&s| s >= 0 && s as u64 > dev.last_step)
            .find(|&s| bool::from(totp(&seed, s as u64).as_bytes().ct_eq(code.as_bytes())));
        let Some(step) = hit else { return Ok(false) };
        dev.last_step = step as u64;
        self.apply(vec![put(&mfa_key(serial), &dev)]).await?;
        Ok(true)
    }

    pub(crate) fn mfa_device(&self, account: &str, serial: &str) -> Result<MfaDevice, IamError> {
        self.get::<MfaDevice>(&mfa_key(serial))?
            .filter(|d| d.account == account)
            .ok_or_else(|| {
                IamError::NoSuchEntity(format!(
                    "VirtualMFADevice with serial number {serial} doesn't exist."
                ))
            })
    }

    pub(crate) fn mfa_seed(&self, dev: &MfaDevice) -> Result<Zeroizing<Vec<u8>>, IamError> {
        let sealed = B64
            .decode(&dev.sealed_seed)
            .map_err(|_| IamError::Corrupt)?;
        self.secrets
            .open_secret(&sealed, mfa_context(&dev.serial).as_bytes())
            .map_err(|_| IamError::Corrupt)
    }
}

/// RFC 6238 TOTP: HMAC-SHA1 over the step, dynamic truncation, six digits.
pub(crate) fn totp(seed: &[u8], step: u64) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, seed);
    let mac = hmac::sign(&key, &step.to_be_bytes());
    let h = mac.as_ref();
    let off = (h[h.len() - 1] & 0x0f) as usize;
    let bin = u32::from_be_bytes([h[off] & 0x7f, h[off + 1], h[off + 2], h[off + 3]]);
    format!("{:06}", bin % 1_000_000)
}

/// RFC 4648 base32 without padding (how authenticator apps take seeds).
pub(crate) fn base32(data: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buf, mut bits) = (0u32, 0u32);
    for &b in data {
        buf = (buf << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            out.push(A[((buf >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(A[((buf << (5 - bits)) & 31) as usize] as char);
    }
    out
}

pub(crate) fn mfa_key(serial: &str) -> String {
    format!("mfa/{serial}")
}

pub(crate) fn mfa_context(serial: &str) -> String {
    format!("coffer/iam/mfa-seed/v1/{serial}")
}
