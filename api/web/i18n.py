"""Every word the pages show, in Bahasa Indonesia first and English.

The language of a page comes from ``?lang=id|en`` (which also sets a cookie), then the
``bukti_lang`` cookie, then Bahasa Indonesia. The browser's ``Accept-Language`` is not
followed: a public service speaks Indonesian unless the reader asks otherwise.
Placeholders are ``{name}``; they are filled by :meth:`Translator.__call__` (server side)
and by ``t()`` in ``static/js/common.js`` (browser side, from :meth:`Translator.subset`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Literal

__all__ = ["DEFAULT_LANG", "LANGS", "LANG_COOKIE", "STRINGS", "Lang", "Translator", "choose_lang"]

Lang = Literal["id", "en"]
LANGS: Final[tuple[Lang, ...]] = ("id", "en")
DEFAULT_LANG: Final[Lang] = "id"
LANG_COOKIE: Final = "bukti_lang"

#: key → (Bahasa Indonesia, English).
STRINGS: Final[Mapping[str, tuple[str, str]]] = {
    # --- every page
    "site.name": ("Bukti", "Bukti"),
    "site.tagline": (
        "Pemerintah Kabupaten Bekasi — bukti pembayaran yang bisa dibuktikan",
        "Bekasi Regency Government — receipts you can prove",
    ),
    "nav.label": ("Menu utama", "Main menu"),
    "nav.verify": ("Cek kuitansi", "Check a receipt"),
    "nav.fees": ("Tarif resmi", "Official fees"),
    "nav.transparency": ("Transparansi", "Transparency"),
    "nav.counter": ("Loket", "Counter"),
    "nav.language": ("English", "Bahasa Indonesia"),
    "nav.language_label": ("Ganti bahasa", "Change language"),
    "skip": ("Langsung ke isi", "Skip to content"),
    "footer.report": (
        "Dimintai bayaran di luar tarif resmi? Laporkan: SP4N-LAPOR! lapor.go.id atau SMS 1708, "
        "Ombudsman RI telepon 137, atau meja pengaduan kantor layanan.",
        "Asked to pay more than the official fee? Report it: SP4N-LAPOR! lapor.go.id or "
        "SMS 1708, Ombudsman RI phone 137, or the office's complaint desk.",
    ),
    "footer.source": (
        "Bukti adalah perangkat lunak sumber terbuka (Apache-2.0).",
        "Bukti is open-source software (Apache-2.0).",
    ),
    "error.title": ("Terjadi kesalahan", "Something went wrong"),
    "error.not_found": ("Halaman tidak ditemukan.", "Page not found."),
    "error.back": ("Kembali ke halaman utama", "Back to the home page"),
    "error.csrf": (
        "Formulir kedaluwarsa atau tidak berasal dari halaman ini. Muat ulang halaman dan "
        "coba lagi.",
        "The form expired or did not come from this page. Reload the page and try again.",
    ),
    "error.bad_form": (
        "Isian formulir tidak sesuai dengan halaman ini. Muat ulang halaman dan coba lagi.",
        "The form's fields do not match this page. Reload the page and try again.",
    ),
    "error.unavailable": (
        "Layanan sedang tidak tersedia. Coba lagi beberapa saat lagi.",
        "The service is unavailable. Try again in a moment.",
    ),
    "error.figures_pending": (
        "Angka rekapitulasi sedang disiapkan dari buku besar. Halaman ini akan dimuat ulang "
        "dalam beberapa detik.",
        "The figures are being prepared from the ledger. This page reloads in a few seconds.",
    ),
    # --- home
    "home.title": ("Bukti — Kabupaten Bekasi", "Bukti — Bekasi Regency"),
    "home.lead": (
        "Setiap pembayaran retribusi di loket pelayanan Kabupaten Bekasi dicatat di buku besar "
        "publik dan setiap kuitansi bertanda tangan digital.",
        "Every fee paid at a Bekasi Regency service counter is written to a public ledger and "
        "every receipt is digitally signed.",
    ),
    "home.verify": (
        "Pindai kode QR pada kuitansi dengan kamera ponsel, atau ketik kode verifikasinya.",
        "Scan the QR code on the receipt with a phone camera, or type its verification code.",
    ),
    "home.fees": ("Berapa biaya resminya?", "What is the official fee?"),
    # --- verify page
    "verify.title": ("Cek kuitansi", "Check a receipt"),
    "verify.intro": (
        "Halaman ini memeriksa tanda tangan digital kuitansi di ponsel Anda. Isi kuitansi "
        "tidak dikirim ke server.",
        "This page checks the receipt's digital signature on your phone. The receipt's "
        "content is not sent to the server.",
    ),
    "verify.noscript": (
        "Pemeriksaan tanda tangan memerlukan JavaScript. Ketik kode verifikasi di bawah, atau "
        "gunakan perintah bukti verify.",
        "Checking the signature needs JavaScript. Type the verification code below, or use "
        "the bukti verify command.",
    ),
    "verify.code_heading": ("Ketik kode verifikasi", "Type the verification code"),
    "verify.code_label": (
        "Kode verifikasi (di bawah kode QR, mis. 7K2M-Q9XD-4TB)",
        "Verification code (under the QR code, e.g. 7K2M-Q9XD-4TB)",
    ),
    "verify.code_submit": ("Periksa", "Check"),
    "verify.code_not_found": (
        "Kode {code} tidak ditemukan. Periksa kembali ketikan Anda: kode terdiri dari huruf dan "
        "angka di bawah kode QR.",
        "Code {code} was not found. Check what you typed: the code is the letters and digits "
        "under the QR code.",
    ),
    "verify.code_malformed": (
        "Kode {code} salah ketik: kode verifikasi terdiri dari 11 huruf dan angka "
        "(XXXX-XXXX-XXX) dengan karakter pemeriksa di akhir.",
        "Code {code} is mistyped: a verification code has 11 letters and digits "
        "(XXXX-XXXX-XXX) ending in a check character.",
    ),
    "verdict.checking": ("Memeriksa…", "Checking…"),
    "verdict.valid": ("SAH", "VALID"),
    "verdict.invalid": ("TIDAK SAH", "NOT VALID"),
    "verdict.voided": ("DIBATALKAN", "VOIDED"),
    "reason.valid": (
        "Tanda tangan sah, kuitansi tercatat di buku besar publik dan jumlah yang dibayar sama "
        "dengan tarif resmi.",
        "The signature is valid, the receipt is in the public ledger and the amount paid "
        "equals the official fee.",
    ),
    "reason.invalid": ("Kuitansi ini tidak dapat dibuktikan.", "This receipt cannot be proven."),
    "reason.unknown-key": (
        "Ditandatangani dengan kunci yang tidak dikenal. Kuitansi ini bukan dari Bukti "
        "Kabupaten Bekasi.",
        "Signed with an unknown key. This receipt was not issued by Bukti of Bekasi Regency.",
    ),
    "reason.bad-signature": (
        "Tanda tangan tidak cocok: isi kuitansi telah diubah.",
        "The signature does not match: the receipt's content was altered.",
    ),
    "reason.malformed": (
        "Kode QR rusak atau bukan kuitansi Bukti.",
        "The QR code is damaged or not a Bukti receipt.",
    ),
    "reason.retired-key": (
        "Ditandatangani dengan kunci yang sudah dicabut sebelum tanggal kuitansi.",
        "Signed with a key retired before the receipt's date.",
    ),
    "reason.key-not-yet-valid": (
        "Tanggal kuitansi lebih awal daripada berlakunya kunci penanda tangan.",
        "The receipt is dated before its signing key became valid.",
    ),
    "reason.issued-in-future": (
        "Tanggal kuitansi di masa depan.",
        "The receipt is dated in the future.",
    ),
    "reason.fee-mismatch": (
        "Jumlah yang dibayar berbeda dari tarif resmi tanpa keringanan yang tercatat.",
        "The amount paid differs from the official fee with no recorded waiver.",
    ),
    "reason.not-in-log": (
        "Kuitansi ini tidak tercatat di buku besar publik.",
        "This receipt is not recorded in the public ledger.",
    ),
    "reason.bad-proof": (
        "Bukti pencatatan dari server tidak cocok dengan buku besar yang ditandatangani.",
        "The server's proof of recording does not match the signed ledger.",
    ),
    "reason.bad-checkpoint": (
        "Tanda tangan buku besar (checkpoint) tidak sah.",
        "The ledger's signature (checkpoint) is not valid.",
    ),
    "reason.voided": (
        "Kuitansi ini telah dibatalkan oleh petugas. Pembayaran yang tercatat tidak berlaku.",
        "This receipt was voided by staff. The recorded payment no longer stands.",
    ),
    "reason.network": (
        "Daftar kunci resmi tidak dapat diambil. Periksa sambungan internet dan coba lagi.",
        "The official key list could not be fetched. Check the connection and try again.",
    ),
    "reason.log-unreachable": (
        "Tanda tangan sah, tetapi status di buku besar belum dapat diperiksa. Coba lagi.",
        "The signature is valid, but the ledger status could not be checked. Try again.",
    ),
    "mode.browser": (
        "Tanda tangan kuitansi dan buku besar diperiksa di perangkat Anda.",
        "The receipt's and the ledger's signatures were checked on your device.",
    ),
    "mode.server": (
        "Peramban Anda tidak mendukung Ed25519: tanda tangan diperiksa oleh server Bukti, "
        "bukan di perangkat Anda.",
        "Your browser does not support Ed25519: the signature was checked by the Bukti "
        "server, not on your device.",
    ),
    "ledger.recorded": (
        "Tercatat di buku besar publik: entri nomor {seq}, checkpoint berukuran {size} entri.",
        "Recorded in the public ledger: entry {seq}, checkpoint of {size} entries.",
    ),
    "field.service": ("Layanan", "Service"),
    "field.official_fee": ("Tarif resmi", "Official fee"),
    "field.charged": ("Jumlah dibayar", "Amount charged"),
    "field.waiver": ("Keringanan", "Waiver"),
    "field.time": ("Waktu", "Time"),
    "field.office": ("Kantor dan loket", "Office and counter"),
    "field.counter": ("Loket", "Counter"),
    "field.number": ("Nomor kuitansi", "Receipt number"),
    "field.voided_number": ("Membatalkan kuitansi", "Voids receipt"),
    "field.kind": ("Jenis", "Kind"),
    "kind.normal": ("Pembayaran", "Payment"),
    "kind.void": ("Pembatalan", "Void"),
    "kind.closing": ("Tutup buku harian", "Day closing"),
    "kind.deposit": ("Setoran", "Deposit"),
    "warning.unverified": (
        "Tarif belum diverifikasi terhadap Lampiran Perda 8/2023.",
        "Fee not yet verified against the annex (Lampiran) of Perda 8/2023.",
    ),
    "warning.free_charged": (
        "Layanan ini GRATIS menurut undang-undang (UU 24/2013 Pasal 79A). Tidak boleh ada "
        "pungutan apa pun.",
        "This service is FREE by law (UU 24/2013 Pasal 79A). No charge of any kind is allowed.",
    ),
    "complaint.button": ("Laporkan pungli", "Report an illegal levy"),
    "complaint.heading": ("Laporkan pungutan liar", "Report an illegal levy"),
    "complaint.receipt": ("Kuitansi", "Receipt"),
    "complaint.paid": (
        "Berapa yang sebenarnya Anda bayar? (rupiah)",
        "How much did you actually pay? (rupiah)",
    ),
    "complaint.text": ("Apa yang terjadi?", "What happened?"),
    "complaint.text_hint": (
        "Minimal 10 karakter, mis. siapa meminta berapa untuk apa. Jangan tulis NIK.",
        "At least 10 characters, e.g. who asked how much for what. Do not write your NIK.",
    ),
    "complaint.contact": (
        "Nomor telepon atau surel (tidak wajib, tidak dipublikasikan)",
        "Phone or e-mail (optional, never published)",
    ),
    "complaint.send": ("Kirim laporan", "Send the report"),
    "complaint.bad_amount": (
        "Tulis jumlah dalam rupiah, hanya angka.",
        "Write the amount in rupiah, digits only.",
    ),
    "complaint.network": (
        "Laporan belum terkirim. Periksa sambungan dan coba lagi.",
        "The report was not sent. Check the connection and try again.",
    ),
    "complaint.done": ("Laporan diterima", "Report received"),
    "complaint.tracking": ("Nomor pelacakan", "Tracking number"),
    "complaint.keep": (
        "Simpan nomor ini untuk menanyakan perkembangan laporan. Anda juga dapat melapor ke:",
        "Keep this number to follow up on the report. You can also report to:",
    ),
    "channel.lapor": (
        "SP4N-LAPOR!: lapor.go.id atau SMS 1708",
        "SP4N-LAPOR!: lapor.go.id or SMS 1708",
    ),
    "channel.ombudsman": ("Ombudsman RI: telepon 137", "Ombudsman RI: phone 137"),
    "channel.office": (
        "Meja pengaduan di kantor layanan",
        "The complaint desk at the service office",
    ),
    # --- fee pages
    "fees.title": ("Tarif resmi", "Official fees"),
    "fees.intro": (
        "Tarif retribusi yang berlaku menurut {basis} (versi {version}, berlaku sejak {since}).",
        "Fees in force under {basis} (version {version}, in force since {since}).",
    ),
    "fees.search": ("Cari layanan", "Search services"),
    "fees.search_hint": ("Ketik nama atau kode layanan", "Type a service name or code"),
    "fees.search_submit": ("Cari", "Search"),
    "fees.none": ("Tidak ada layanan yang cocok dengan “{q}”.", "No service matches “{q}”."),
    "fees.count": ("{n} layanan", "{n} services"),
    "fees.fee": ("Tarif resmi", "Official fee"),
    "fees.legal": ("Dasar hukum", "Legal basis"),
    "fees.provenance": ("Sumber angka", "Source of the figure"),
    "fees.free": ("GRATIS — dilarang dipungut biaya", "FREE — no fee may be charged"),
    "fees.per_unit": ("{rate} per {unit}", "{rate} per {unit}"),
    "fees.tiered": ("Bertingkat menurut {input}", "Tiered by {input}"),
    "fees.formula": ("Rumus: {formula}", "Formula: {formula}"),
    "fees.calculator": ("Hitung tarif", "Compute the fee"),
    "fees.compute": ("Hitung", "Compute"),
    "fees.result": ("Tarif resmi: {fee}", "Official fee: {fee}"),
    "fees.breakdown": ("Rincian", "Breakdown"),
    "fees.range": ("{min} sampai {max}", "{min} to {max}"),
    "fees.decimal_hint": ("gunakan titik untuk desimal", "use a dot for decimals"),
    "fees.link": ("Tautan tetap layanan ini", "Permanent link to this service"),
    "fees.back": ("Semua tarif", "All fees"),
    "fees.notes": ("Catatan", "Notes"),
    "fees.posters": ("Poster QR per kantor", "QR poster per office"),
    "provenance.C": ("terkonfirmasi dari sumber resmi", "confirmed from an official source"),
    "provenance.S": ("dari sumber sekunder", "from secondary sources"),
    "provenance.U": ("belum terkonfirmasi", "not yet confirmed"),
    "provenance.L": ("gratis menurut undang-undang", "free by law"),
    "category.jasa_umum": ("Retribusi Jasa Umum", "Public service levy"),
    "category.jasa_usaha": ("Retribusi Jasa Usaha", "Business service levy"),
    "category.perizinan_tertentu": ("Retribusi Perizinan Tertentu", "Licensing levy"),
    "category.layanan_gratis": ("Layanan gratis", "Free services"),
    "poster.title": ("Tarif resmi — {office}", "Official fees — {office}"),
    "poster.scan": (
        "Pindai untuk melihat tarif resmi. Bayar sesuai tarif, minta kuitansi ber-QR.",
        "Scan to see the official fees. Pay the official fee, ask for a receipt with a QR code.",
    ),
    "poster.qr_alt": ("Kode QR menuju halaman tarif resmi", "QR code to the official fee page"),
    "poster.print": ("Cetak poster", "Print the poster"),
    "poster.no_receipt": (
        "Tanpa kuitansi ber-QR? Jangan bayar. Laporkan.",
        "No receipt with a QR code? Do not pay. Report it.",
    ),
    # --- counter pages
    "counter.title": ("Loket", "Counter"),
    "counter.login": ("Masuk petugas", "Staff sign-in"),
    "counter.username": ("Nama pengguna", "User name"),
    "counter.password": ("Kata sandi", "Password"),
    "counter.sign_in": ("Masuk", "Sign in"),
    "counter.sign_out": ("Keluar", "Sign out"),
    "counter.signed_in": (
        "Masuk sebagai {user} ({role}), {office}",
        "Signed in as {user} ({role}), {office}",
    ),
    "counter.session_expired": (
        "Sesi berakhir. Silakan masuk lagi.",
        "The session ended. Please sign in again.",
    ),
    "counter.counter_label": ("Loket", "Counter"),
    "counter.service": ("Layanan (ketik nama atau kode)", "Service (type a name or code)"),
    "counter.pick": ("Pilih layanan", "Choose the service"),
    "counter.show": ("Tampilkan", "Show"),
    "counter.quote": ("Hitung tarif", "Compute the fee"),
    "counter.official": ("Tarif resmi: {fee}", "Official fee: {fee}"),
    "counter.charged": ("Jumlah yang dibayar warga (rupiah)", "Amount the resident pays (rupiah)"),
    "counter.waiver": (
        "Nomor keringanan/pembebasan (hanya jika membayar kurang dari tarif)",
        "Waiver reference (only when paying less than the fee)",
    ),
    "counter.issue": ("Terbitkan kuitansi", "Issue the receipt"),
    "counter.refused": ("Pungutan ditolak", "Charge refused"),
    "counter.refused_logged": (
        "Penolakan ini tercatat di buku besar (entri {seq}).",
        "This refusal is recorded in the ledger (entry {seq}).",
    ),
    "counter.issued": ("Kuitansi {number} diterbitkan", "Receipt {number} issued"),
    "counter.print_58": ("Cetak struk 58 mm", "Print 58 mm slip"),
    "counter.print_80": ("Cetak struk 80 mm", "Print 80 mm slip"),
    "counter.print_a4": ("Cetak A4", "Print A4"),
    "counter.short_code": ("Kode verifikasi", "Verification code"),
    "counter.new": ("Layanan berikutnya", "Next service"),
    "counter.recent": ("Kuitansi terakhir", "Recent receipts"),
    "counter.recent_none": ("Belum ada kuitansi hari ini.", "No receipts yet today."),
    "counter.reprint": ("Cetak ulang", "Reprint"),
    "counter.void_heading": ("Pembatalan kuitansi {number}", "Void receipt {number}"),
    "counter.void_reason": ("Alasan pembatalan", "Reason for the void"),
    "counter.void_submit": ("Batalkan kuitansi", "Void the receipt"),
    "counter.void_done": ("Kuitansi {number} dibatalkan.", "Receipt {number} voided."),
    "counter.void_supervisor": (
        "Pembatalan harus disetujui penyelia (supervisor) kantor ini: penyelia mengetik nama "
        "pengguna dan kata sandinya di sini.",
        "A void must be approved by this office's supervisor: the supervisor types their user "
        "name and password here.",
    ),
    "counter.void_requested_by": (
        "Diminta oleh petugas (nama pengguna, boleh kosong)",
        "Requested by counter staff (user name, optional)",
    ),
    "counter.void_requested_by_hint": (
        "Kosongkan bila pembatalan atas prakarsa penyelia sendiri.",
        "Leave empty when the supervisor voids on their own initiative.",
    ),
    "counter.day_closed": (
        "Buku loket {counter} hari ini sudah ditutup: kuitansi baru tidak dapat diterbitkan "
        "sampai besok.",
        "Counter {counter}'s books are closed for today: no new receipt can be issued until "
        "tomorrow.",
    ),
    "counter.supervisor_username": ("Nama pengguna penyelia", "Supervisor's user name"),
    "counter.supervisor_password": ("Kata sandi penyelia", "Supervisor's password"),
    "counter.supervisor_only": (
        "Hanya penyelia kantor ini yang dapat menyetujui pembatalan.",
        "Only this office's supervisor can approve a void.",
    ),
    "counter.close": ("Tutup buku hari ini", "Close today's books"),
    "counter.close_explain": (
        "Menutup hari untuk loket {counter}: jumlah kuitansi, total, dan pembatalan dihitung "
        "dari buku besar.",
        "Closes the day for counter {counter}: count, total and voids are computed from the "
        "ledger.",
    ),
    "counter.close_done": (
        "Buku hari {date} ditutup: {count} kuitansi, total {total}, pembatalan {voids}, "
        "bersih {net}.",
        "Day {date} closed: {count} receipts, total {total}, voids {voids}, net {net}.",
    ),
    "counter.no_role": (
        "Akun ini tidak dapat menerbitkan kuitansi di loket.",
        "This account cannot issue receipts at a counter.",
    ),
    "counter.status_issued": ("terbit", "issued"),
    "counter.status_voided": ("dibatalkan", "voided"),
    # --- inspectorate
    "insp.title": ("Dasbor Inspektorat", "Inspectorate dashboard"),
    "insp.log": ("Buku besar", "Ledger"),
    "insp.log_size": ("Ukuran buku besar: {size} entri", "Ledger size: {size} entries"),
    "insp.checkpoint": ("Checkpoint terakhir", "Latest checkpoint"),
    "insp.collections": ("Penerimaan", "Collections"),
    "insp.today": ("Hari ini ({date})", "Today ({date})"),
    "insp.month": ("Bulan ini ({month})", "This month ({month})"),
    "insp.refused": ("Pungutan yang ditolak", "Refused charges"),
    "insp.voids": ("Pembatalan", "Voids"),
    "insp.complaints": ("Pengaduan", "Complaints"),
    "insp.undeposited": (
        "Penerimaan belum disetor melewati batas waktu ({days} hari kerja)",
        "Collections not deposited past the deadline ({days} working days)",
    ),
    "insp.undeposited_none": ("Tidak ada.", "None."),
    "insp.holidays": (
        "Hari kerja: Senin–Jumat, kecuali {count} hari libur dan cuti bersama dalam daftar.",
        "Working days: Monday to Friday, less the {count} holidays and leave days listed.",
    ),
    "insp.holidays_none": (
        "Hari kerja: Senin–Jumat. Daftar hari libur belum diberikan (BUKTI_HOLIDAYS_FILE).",
        "Working days: Monday to Friday. No holiday list is given (BUKTI_HOLIDAYS_FILE).",
    ),
    "insp.status_received": ("Diterima", "Received"),
    "insp.status_investigating": ("Sedang diperiksa", "Under investigation"),
    "insp.status_resolved": ("Selesai", "Resolved"),
    "insp.status_rejected": ("Ditolak", "Rejected"),
    "insp.complaint_update": ("Perbarui status pengaduan", "Update a complaint's status"),
    "insp.complaint_status": ("Status baru", "New status"),
    "insp.complaint_note": ("Catatan (boleh kosong)", "Note (optional)"),
    "insp.complaint_note_hint": (
        "Catatan disimpan di luar buku besar dan dapat dihapus; buku besar hanya memuat "
        "komitmennya. Status Selesai dan Ditolak bersifat final.",
        "The note is kept outside the ledger and can be erased; the ledger holds only its "
        "commitment. Resolved and Rejected are final.",
    ),
    "insp.complaint_save": ("Simpan status", "Save the status"),
    "insp.complaint_updated": (
        "Pengaduan {tracking}: status kini {status}.",
        "Complaint {tracking}: status is now {status}.",
    ),
    "insp.audit": ("Audit", "Audit"),
    "insp.audit_run": ("Jalankan audit sekarang", "Run an audit now"),
    "insp.audit_report": ("Unduh laporan audit (PDF)", "Download the audit report (PDF)"),
    "insp.audit_export": ("Unduh paket audit", "Download the audit bundle"),
    "insp.forbidden": (
        "Halaman ini hanya untuk inspektur/auditor.",
        "This page is for inspectors/auditors only.",
    ),
    "insp.audit_result_ok": ("Integritas buku besar terjaga.", "Ledger integrity holds."),
    "insp.audit_result_bad": (
        "INTEGRITAS RUSAK: buku besar tidak sesuai dengan checkpoint yang ditandatangani.",
        "INTEGRITY BROKEN: the ledger does not match its signed checkpoints.",
    ),
    "insp.audit_detail": (
        "Diperiksa sampai checkpoint berukuran {size}; {findings} temuan.",
        "Checked up to the checkpoint of size {size}; {findings} findings.",
    ),
    # --- transparency
    "tr.title": ("Transparansi penerimaan", "Collections transparency"),
    "tr.intro": (
        "Angka per kantor dan bulan, dihitung dari buku besar publik. Tidak ada data yang "
        "mengenali warga.",
        "Figures per office and month, computed from the public ledger. Nothing identifies "
        "a resident.",
    ),
    "tr.csv": ("Unduh CSV", "Download CSV"),
    "tr.log": (
        "Buku besar: {size} entri. Checkpoint terakhir yang ditandatangani:",
        "Ledger: {size} entries. Latest signed checkpoint:",
    ),
    "tr.none": ("Belum ada penerimaan.", "No collections yet."),
    # --- table headings shared by the dashboards
    "col.office": ("Kantor", "Office"),
    "col.month": ("Bulan", "Month"),
    "col.date": ("Tanggal", "Date"),
    "col.receipts": ("Kuitansi", "Receipts"),
    "col.total": ("Total diterima", "Total collected"),
    "col.refused": ("Pungutan ditolak", "Refused charges"),
    "col.refused_free": ("di antaranya layanan gratis", "of which free services"),
    "col.voids": ("Pembatalan", "Voids"),
    "col.complaints": ("Pengaduan masuk", "Complaints received"),
    "col.complaints_closed": ("Pengaduan selesai", "Complaints closed"),
    "col.deposits_on_time": ("Setoran tepat waktu", "Deposits on time"),
    "col.deposits_late": ("Setoran terlambat", "Deposits late"),
    "col.amount": ("Jumlah", "Amount"),
    "col.status": ("Status", "Status"),
    "col.tracking": ("Nomor pelacakan", "Tracking number"),
    "col.receipt": ("Kuitansi", "Receipt"),
    "col.service": ("Layanan", "Service"),
    "col.verdict": ("Alasan", "Reason"),
    "col.time": ("Waktu", "Time"),
}


def choose_lang(query: str | None, cookie: str | None) -> Lang:
    """The page language: ``?lang=`` first, then the cookie, then Bahasa Indonesia."""
    for candidate in (query, cookie):
        if candidate == "id":
            return "id"
        if candidate == "en":
            return "en"
    return DEFAULT_LANG


@dataclass(frozen=True, slots=True)
class Translator:
    """Looks strings up in one language; a missing key is a programming error."""

    lang: Lang

    def __call__(self, key: str, **values: object) -> str:
        pair = STRINGS[key]
        text = pair[0] if self.lang == "id" else pair[1]
        return text.format(**values) if values else text

    def subset(self, prefixes: Iterable[str]) -> dict[str, str]:
        """Unformatted strings whose keys start with one of ``prefixes`` (for the browser)."""
        wanted = tuple(prefixes)
        index = 0 if self.lang == "id" else 1
        return {key: pair[index] for key, pair in STRINGS.items() if key.startswith(wanted)}
